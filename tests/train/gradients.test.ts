/**
 * The dense engine's training maths checked against independent references:
 * every parameter's gradient against central finite differences of the loss,
 * for each activation, both tasks and both matrix kernels (WebAssembly and
 * plain JavaScript); and each optimizer's updates against TensorFlow.js's own
 * optimizers fed the same gradients. A wrong derivative (gelu, selu …) or an
 * optimizer step off by one bias correction fails here, where a loose accuracy
 * bound would not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelSchema, type ModelConfig } from '../../pipeline/config/schema.js';
import { DenseStack } from '../../pipeline/model/backprop.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { makeOptimizer } from '../../pipeline/train/optimizers.js';

/** Park–Miller: a fixed seed gives the same numbers on every machine, so no run is flaky. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'swish', 'gelu'] as const;
const DIMS = [4, 6, 5, 3];
const ROWS = 7;

function network(activation: ModelConfig['activation'], seed: number, useWasm: boolean) {
  const rand = random(seed);
  const initial: Float32Array[] = [];
  for (let l = 0; l + 1 < DIMS.length; l++) {
    initial.push(Float32Array.from({ length: DIMS[l]! * DIMS[l + 1]! }, () => rand()));
    initial.push(Float32Array.from({ length: DIMS[l + 1]! }, () => 0.3 * rand()));
  }
  const x = Float32Array.from({ length: ROWS * DIMS[0]! }, () => 1.5 * rand());
  return { rand, initial, x, useWasm };
}

describe('gradients of the dense engine', () => {
  for (const task of ['classification', 'regression'] as const)
    for (const activation of ACTIVATIONS)
      for (const useWasm of [true, false])
        for (const dropout of [0, 0.3])
          it(`${task}, ${activation}, ${useWasm ? 'WebAssembly' : 'JavaScript'} kernel, dropout ${dropout}: every gradient matches finite differences`, () => {
            const { rand, initial, x } = network(
              activation,
              17 + ACTIVATIONS.indexOf(activation),
              useWasm,
            );
            const outputs = task === 'classification' ? DIMS.at(-1)! : 1;
            const dims = [...DIMS.slice(0, -1), outputs];
            const params = initial.slice(0, -2);
            params.push(
              Float32Array.from({ length: DIMS.at(-2)! * outputs }, () => rand()),
              Float32Array.from({ length: outputs }, () => 0.3 * rand()),
            );
            const targets =
              task === 'classification'
                ? Int32Array.from({ length: ROWS }, (_, r) => r % outputs)
                : Float32Array.from({ length: ROWS }, () => 2 * rand());
            const stack = new DenseStack({ dims, activation, task, dropout }, ROWS, params, {
              useWasm,
            });
            // With dropout, every pass draws the same mask: the loss is a function of the parameters alone.
            const pass = () => stack.forward(ROWS, x, dropout > 0, random(5));
            const loss = () => {
              pass();
              return stack.lossAndGradients(ROWS, targets, false);
            };
            pass();
            stack.lossAndGradients(ROWS, targets, true);
            const analytic = stack.grads.map((g) => Float64Array.from(g));

            // A step of 1e-3 keeps float32 rounding (~1e-7 / 1e-3) well below the tolerance.
            // relu and selu have a kink at 0: where a pre-activation crosses it within the
            // step, the loss has no derivative to compare with (the one-sided differences
            // disagree), and that parameter is left out; no more than a few may be.
            const step = 1e-3;
            const base = loss();
            let checked = 0;
            let kinks = 0;
            stack.params.forEach((p, k) => {
              for (let i = 0; i < p.length; i++) {
                const kept = p[i]!;
                p[i] = kept + step;
                const up = loss();
                p[i] = kept - step;
                const down = loss();
                p[i] = kept;
                const numeric = (up - down) / (2 * step);
                const oneSided = Math.abs((up - base) / step - (base - down) / step);
                if (oneSided > 5e-3 + 5e-2 * Math.abs(numeric)) {
                  kinks++;
                  continue;
                }
                const got = analytic[k]![i]!;
                expect(
                  Math.abs(got - numeric),
                  `param array ${k} [${i}]: backprop ${got}, finite difference ${numeric}`,
                ).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
                checked++;
              }
            });
            const total = stack.params.reduce((a, p) => a + p.length, 0);
            expect(kinks, 'parameters at a kink').toBeLessThan(total / 10);
            expect(checked + kinks).toBe(total);
          });
});

describe('optimizer updates', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  /** What tfjs-core's optimizer of that name does with the same learning rate and defaults. */
  const reference: Record<ModelConfig['optimizer'], (lr: number) => tf.Optimizer> = {
    adam: (lr) => tf.train.adam(lr),
    sgd: (lr) => tf.train.sgd(lr),
    rmsprop: (lr) => tf.train.rmsprop(lr),
    adagrad: (lr) => tf.train.adagrad(lr),
  };

  for (const name of ['adam', 'sgd', 'rmsprop', 'adagrad'] as const)
    it(`${name}: ten steps give the parameters tfjs's ${name} gives`, () => {
      const rand = random(101);
      const shapes = [12, 4];
      const start = shapes.map((n) => Float32Array.from({ length: n }, () => rand()));
      const gradients = Array.from({ length: 10 }, () =>
        shapes.map((n) => Float32Array.from({ length: n }, () => rand())),
      );
      const model = ModelSchema.parse({
        task: 'classification',
        optimizer: name,
        learning_rate: 0.05,
      });

      const ours = start.map((p) => Float32Array.from(p));
      const optimizer = makeOptimizer(model, ours);
      for (const g of gradients) optimizer.step(ours, g);

      const theirs = reference[name](model.learning_rate);
      const variables = start.map((p, k) => tf.variable(tf.tensor1d(p), true, `p${name}${k}`));
      for (const g of gradients)
        theirs.applyGradients(
          Object.fromEntries(variables.map((v, k) => [v.name, tf.tensor1d(g[k]!)])),
        );
      variables.forEach((v, k) => {
        const expected = v.dataSync();
        for (let i = 0; i < expected.length; i++)
          expect(ours[k]![i]!, `param ${k} [${i}]`).toBeCloseTo(expected[i]!, 5);
      });
      theirs.dispose();
      variables.forEach((v) => v.dispose());
    });
});
