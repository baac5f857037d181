/**
 * A team's own model module (kind tfjs) and a trainer of its own
 * (trainers/<kind>.ts) train in the actions as the reusable workflow runs
 * them: the bundles of a pipeline checkout at .mlops/pipeline with no
 * node_modules anywhere (no `npm ci` of the pipeline, none of the team's),
 * built from the sources as `npm run build:actions` builds them, with the
 * vendored native files beside them. The module is compiled by the esbuild the
 * actions ship, and its tfjs, zod and mlops-pipeline/trainer imports are the
 * bundle's own.
 *
 * How this fails: a bundle that imports `esbuild` from node_modules (as it did
 * before it shipped one) fails the train step with "Cannot find package
 * 'esbuild'"; one that points the module's `@tensorflow/tfjs-layers` at a
 * node_modules path fails it with "Cannot find module '@tensorflow/tfjs-layers'".
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAction } from '../../scripts/build-actions.js';
import { makeRepository } from './helpers/fixture.js';
import { REPO_ROOT, runAction } from './helpers/run-action.js';

const git = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd });

const NET = `import * as tfl from '@tensorflow/tfjs-layers';
import { getBackend } from '@tensorflow/tfjs-core';
import { hidden } from './width';

export default function build(inputs, task, outputs, params, { seed }) {
  // The pipeline's tfjs: its backend is already chosen and ready.
  if (getBackend() !== 'wasm') throw new Error(\`expected the wasm backend, got \${getBackend()}\`);
  const net = tfl.sequential();
  net.add(tfl.layers.dense({
    units: hidden(params),
    activation: 'relu',
    inputShape: [inputs.size],
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
  }));
  net.add(tfl.layers.dense({
    units: outputs,
    activation: task === 'classification' ? 'softmax' : 'linear',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
  }));
  return net;
}
`;
const WIDTH = `export const hidden = (params: { units?: number }): number => params.units ?? 8;\n`;

const TRAINER = `import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { defineTrainer, type TrainingSet } from 'mlops-pipeline/trainer';

export default defineTrainer({
  params: z.strictObject({ units: z.int().positive().default(8) }),
  async fit({ params, model, seed, inputSize, outputs, train, validation, onEpoch }) {
    const net = tfl.sequential();
    net.add(tfl.layers.dense({
      units: params.units,
      activation: 'relu',
      inputShape: [inputSize],
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    }));
    net.add(tfl.layers.dense({
      units: outputs,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    }));
    net.compile({ optimizer: tf.train.adam(model.learning_rate), loss: 'categoricalCrossentropy' });
    const tensors = (set: TrainingSet) => [
      tf.tensor2d(set.x, [set.rows, inputSize]),
      tf.cast(tf.oneHot(tf.tensor1d(set.y as Int32Array, 'int32'), outputs), 'float32'),
    ] as const;
    const [x, y] = tensors(train);
    const [vx, vy] = tensors(validation);
    for (let epoch = 1; epoch <= model.epochs; epoch++) {
      const h = await net.fit(x, y, {
        epochs: 1,
        batchSize: model.batch_size,
        shuffle: false,
        verbose: 0,
        validationData: [vx, vy],
      });
      await onEpoch({ epoch, loss: Number(h.history.loss?.[0]), val_loss: Number(h.history.val_loss?.[0]) });
    }
    tf.dispose([x, y, vx, vy]);
    return { network: net };
  },
});
`;

describe("a team's own model code in the actions", () => {
  let built: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    // What mlops-pr.yml checks out of the pipeline: action.yml files, bundles and vendor/.
    built = await mkdtemp(join(tmpdir(), 'mlops-pipeline-'));
    dirs.push(built);
    for (const name of ['train', 'validate-threshold', 'benchmark'])
      await buildAction(name, join(built, 'actions', name, 'dist'));
    await cp(join(REPO_ROOT, 'actions', 'vendor'), join(built, 'actions', 'vendor'), {
      recursive: true,
    });
  }, 120_000);
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** The penguins repository with `model` in place of the mlp, checked out with the pipeline in it. */
  async function adopter(model: string, files: Record<string, string>) {
    const workspace = await makeRepository(files);
    dirs.push(workspace, `${workspace}-origin.git`);
    // The team installed nothing: neither tfjs nor esbuild is there to be found.
    await rm(join(workspace, 'node_modules'));
    const yaml = await readFile(join(workspace, 'mlops.yaml'), 'utf8');
    const edited = yaml.replace(/ {2}kind: mlp\n {2}layers: \[16\]\n/, model);
    expect(edited).not.toBe(yaml);
    await writeFile(join(workspace, 'mlops.yaml'), edited);
    await git(workspace, 'init', '--quiet', '--initial-branch=main');
    await git(workspace, 'init', '--quiet', '--bare', `${workspace}-origin.git`);
    await git(workspace, 'remote', 'add', 'origin', `${workspace}-origin.git`);
    const pipeline = join(workspace, '.mlops', 'pipeline');
    await mkdir(pipeline, { recursive: true });
    await cp(join(built, 'actions'), join(pipeline, 'actions'), { recursive: true });
    return { workspace, pipeline };
  }

  /** train, validate-threshold and benchmark, as the pull request's model job runs them. */
  async function modelJob(workspace: string, pipeline: string) {
    const inputs = {
      set: 'bench.iterations=30\nbench.warmup=3',
      cache: 'false',
      'github-token': 'ghs_readonlytoken',
    };
    const train = await runAction('train', { workspace, pipeline, inputs });
    expect(train.code, train.stdout + train.stderr).toBe(0);
    expect(train.outputs['trained']).toBe('true');
    const gates = await runAction('validate-threshold', { workspace, pipeline, inputs });
    expect(gates.code, gates.stdout + gates.stderr).toBe(0);
    expect(gates.outputs['passed']).toBe('true');
    expect(gates.outputs['failed-gates']).toBe('[]');
    // The benchmark recomputes the model version, following the module's imports again.
    const bench = await runAction('benchmark', { workspace, pipeline, inputs });
    expect(bench.code, bench.stdout + bench.stderr).toBe(0);
    const topology = JSON.parse(
      await readFile(join(workspace, 'artifacts', 'model', 'model.json'), 'utf8'),
    ) as { modelTopology: unknown };
    return { train, topology: JSON.stringify(topology) };
  }

  it('a model module: train compiles and trains it from the bundle, validate-threshold gates it, benchmark measures it', async () => {
    const { workspace, pipeline } = await adopter(
      '  kind: tfjs\n  module: models/net.ts\n  params: { units: 16 }\n',
      { 'models/net.ts': NET, 'models/width.ts': WIDTH },
    );
    const { train, topology } = await modelJob(workspace, pipeline);
    expect(train.stdout + train.stderr).toMatch(/training tfjs on \d+ rows \(backend wasm\)/);
    expect(topology).toContain('"units":16');
  }, 180_000);

  it("a trainer of the team's own: trained, gated and benchmarked from the bundles alike", async () => {
    const { workspace, pipeline } = await adopter('  kind: tiny-net\n  params: { units: 12 }\n', {
      'trainers/tiny-net.ts': TRAINER,
    });
    const { topology } = await modelJob(workspace, pipeline);
    expect(topology).toContain('"units":12');
  }, 180_000);
});
