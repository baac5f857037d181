/**
 * Training stops when asked and when it goes wrong: it lets the event loop run
 * while it works, ends soon after its AbortSignal fires, and refuses to go on
 * (or start) with numbers it cannot use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSchema } from '../../pipeline/config/schema.js';
import { PipelineError } from '../../pipeline/errors.js';
import { openRun } from '../../pipeline/run/context.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { fitNetwork, type TrainingSet } from '../../pipeline/train/fit.js';
import { train } from '../../pipeline/train/train.js';
import { penguinRows, penguinsProject, type TempProject } from '../helpers/project.js';

function rings(rows: number, seed: number): TrainingSet {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const x = new Float32Array(rows * 2);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    x[2 * i] = rand();
    x[2 * i + 1] = rand();
    y[i] = x[2 * i]! ** 2 + x[2 * i + 1]! ** 2 < 0.4 ? 0 : 1;
  }
  return { x, y, rows };
}

/**
 * Settings that train for ten seconds or more (about 4 ms an epoch): long enough
 * that only the signal ends them in the time the tests allow, short enough that
 * a loop that ignores the signal ends and fails the test rather than hanging it.
 */
const long = ModelSchema.parse({
  task: 'classification',
  layers: [32, 32],
  epochs: 3000,
  patience: 0,
});

let project: TempProject;

beforeAll(async () => {
  await initBackend();
  project = await penguinsProject();
});
afterAll(() => project.remove());

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a failure'),
    (error: unknown) => error,
  );
}

describe('fitNetwork', () => {
  it('lets timers run while it trains, and stops soon after its signal is aborted', async () => {
    const controller = new AbortController();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    let epochs = 0;
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort(new Error('stop'));
    }, 300);
    const error = await failure(
      fitNetwork({
        model: long,
        seed: 1,
        inputSize: 2,
        outputs: 2,
        train: rings(2000, 1),
        validation: rings(200, 2),
        onEpoch: () => void epochs++,
        signal: controller.signal,
      }),
    );
    const stoppedAfter = performance.now() - abortedAt;
    clearInterval(ticker);
    expect((error as Error).message).toBe('stop');
    expect(epochs).toBeGreaterThan(0);
    // The 300 ms timer fired during training, and the 10 ms interval ran between
    // batches (not every 10 ms: training pauses about every 50 ms).
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(stoppedAfter).toBeLessThan(1000);
  }, 60_000);

  it('does not start when the signal is already aborted', async () => {
    const error = await failure(
      fitNetwork({
        model: long,
        seed: 1,
        inputSize: 2,
        outputs: 2,
        train: rings(50, 1),
        validation: rings(10, 2),
        signal: AbortSignal.abort(new Error('cancelled')),
      }),
    );
    expect((error as Error).message).toBe('cancelled');
  }, 20_000);

  it('stops when the loss stops being a number', async () => {
    const error = await failure(
      fitNetwork({
        model: ModelSchema.parse({ task: 'classification', learning_rate: 1e308, epochs: 50 }),
        seed: 1,
        inputSize: 2,
        outputs: 2,
        train: rings(200, 1),
        validation: rings(40, 2),
      }),
    );
    expect(error).toMatchObject({ name: 'DivergedError', epoch: 1 });
  }, 20_000);
});

describe('train', () => {
  async function trainWith(overrides: string[], signal?: AbortSignal) {
    const ctx = await openRun(project.path('mlops.yaml'), overrides);
    return train({ config: ctx.loaded.config, dataset: ctx.dataset, split: ctx.split, signal });
  }

  it('turns a diverging learning rate into a config error naming the setting', async () => {
    const error = (await failure(trainWith(['model.learning_rate=1e308']))) as PipelineError;
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('config');
    expect(error.message).toMatch(
      /^model\.learning_rate: training diverged with learning_rate 1e\+308 \(adam\): the loss became NaN in epoch 1/,
    );
  }, 20_000);

  it('names the search trial and its space when one trial diverges', async () => {
    const error = (await failure(
      trainWith(['search.space.learning_rate=[0.01, 1e308]', 'model.epochs=3']),
    )) as PipelineError;
    expect(error.code).toBe('config');
    expect(error.message).toContain(
      'search.space.learning_rate: search trial 2 of 2 ({"learning_rate":1e+308}) diverged',
    );
    expect(error.hint).toBe('Take the values that diverge out of search.space.learning_rate.');
  }, 20_000);

  it('refuses to rank trials by a metric the model does not have', async () => {
    // roc_auc is computed for two classes; the penguins have three.
    const error = (await failure(
      trainWith(['search.metric=roc_auc', 'search.space.layers=[[8],[16]]', 'model.epochs=2']),
    )) as PipelineError;
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('config');
    expect(error.message).toMatch(
      /^search\.metric: this model has no "roc_auc" on the validation split; it has accuracy, macro_f1, log_loss/,
    );
  }, 20_000);

  it('stops a search when its signal is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 200);
    const error = await failure(
      trainWith(
        ['search.space.layers=[[8],[16],[32]]', 'model.epochs=3000', 'model.patience=0'],
        controller.signal,
      ),
    );
    expect((error as Error).message).toBe('stop');
  }, 60_000);

  it('refuses a network too large for the input before allocating it', async () => {
    // A categorical column of unique tags: one input per tag seen in training
    // (about 1,560), so [2048, 1024] has some 5.3 million parameters.
    const penguins = await penguinRows();
    const rows = Array.from({ length: 2400 }, (_, i) => ({
      ...penguins[i % penguins.length]!,
      Tag: `t${i}`,
    }));
    await project.writeDataset('data/tagged.json', JSON.stringify(rows), 'tagged.dvc');
    const text = await project.read('mlops.yaml');
    await project.write(
      'tagged.yaml',
      text
        .replace('pointer: data.dvc', 'pointer: tagged.dvc')
        .replace(
          '- { name: Sex, type: categorical }',
          '- { name: Sex, type: categorical }\n    - { name: Tag, type: categorical }',
        ),
    );
    const ctx = await openRun(project.path('tagged.yaml'), [
      'model.layers=[2048,1024]',
      'model.epochs=1',
    ]);
    const error = (await failure(
      train({ config: ctx.loaded.config, dataset: ctx.dataset, split: ctx.split }),
    )) as PipelineError;
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('config');
    expect(error.message).toMatch(/^model\.layers: a network of \[\d+, 2048, 1024, 3\] units/);
    expect(error.message).toContain('expected at most 5,000,000');
  }, 30_000);
});
