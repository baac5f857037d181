/**
 * The optimizers of mlops.yaml as in-place updates of Float32Array parameters,
 * with the update rules and defaults of tfjs-core's optimizers (epsilon 1e-7,
 * Adam β 0.9/0.999, RMSProp decay 0.9, Adagrad initial accumulator 0.1), so a
 * config trains the same way it did through tf.train.*.
 */
import type { ModelConfig } from '../config/schema.js';

const EPSILON = 1e-7;

export interface Optimizer {
  /** One step for every parameter array, given gradients of the same shapes. */
  step(params: readonly Float32Array[], grads: readonly Float32Array[]): void;
}

const slots = (params: readonly Float32Array[], fill = 0) =>
  params.map((p) => new Float32Array(p.length).fill(fill));

function adam(lr: number, params: readonly Float32Array[]): Optimizer {
  const beta1 = 0.9;
  const beta2 = 0.999;
  const m = slots(params);
  const v = slots(params);
  let acc1 = beta1;
  let acc2 = beta2;
  return {
    step(ps, gs) {
      const c1 = 1 / (1 - acc1);
      const c2 = 1 / (1 - acc2);
      ps.forEach((p, k) => {
        const g = gs[k]!;
        const mk = m[k]!;
        const vk = v[k]!;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]!;
          mk[i] = beta1 * mk[i]! + (1 - beta1) * gi;
          vk[i] = beta2 * vk[i]! + (1 - beta2) * gi * gi;
          p[i]! -= (lr * (mk[i]! * c1)) / (Math.sqrt(vk[i]! * c2) + EPSILON);
        }
      });
      acc1 *= beta1;
      acc2 *= beta2;
    },
  };
}

function sgd(lr: number): Optimizer {
  return {
    step(ps, gs) {
      ps.forEach((p, k) => {
        const g = gs[k]!;
        for (let i = 0; i < p.length; i++) p[i]! -= lr * g[i]!;
      });
    },
  };
}

function rmsprop(lr: number, params: readonly Float32Array[]): Optimizer {
  const decay = 0.9;
  const ms = slots(params);
  return {
    step(ps, gs) {
      ps.forEach((p, k) => {
        const g = gs[k]!;
        const a = ms[k]!;
        for (let i = 0; i < p.length; i++) {
          a[i] = decay * a[i]! + (1 - decay) * g[i]! * g[i]!;
          p[i]! -= (lr * g[i]!) / Math.sqrt(a[i]! + EPSILON);
        }
      });
    },
  };
}

function adagrad(lr: number, params: readonly Float32Array[]): Optimizer {
  const acc = slots(params, 0.1);
  return {
    step(ps, gs) {
      ps.forEach((p, k) => {
        const g = gs[k]!;
        const a = acc[k]!;
        for (let i = 0; i < p.length; i++) {
          a[i]! += g[i]! * g[i]!;
          p[i]! -= (lr * g[i]!) / Math.sqrt(a[i]! + EPSILON);
        }
      });
    },
  };
}

export function makeOptimizer(model: ModelConfig, params: readonly Float32Array[]): Optimizer {
  switch (model.optimizer) {
    case 'adam':
      return adam(model.learning_rate, params);
    case 'sgd':
      return sgd(model.learning_rate);
    case 'rmsprop':
      return rmsprop(model.learning_rate, params);
    case 'adagrad':
      return adagrad(model.learning_rate, params);
  }
}
