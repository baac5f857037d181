import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { SearchSchema } from '../../pipeline/config/schema.js';
import { openRun } from '../../pipeline/run/context.js';
import { trialParams } from '../../pipeline/search/space.js';
import { initBackend } from '../../pipeline/train/backend.js';
import type { TrialRecord } from '../../pipeline/search/search.js';
import { train } from '../../pipeline/train/train.js';
import { penguinsProject, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  project = await penguinsProject();
  await initBackend();
});
afterAll(() => project.remove());

const SPACE = { layers: [[4], [16]], learning_rate: [0.001, 0.01, 0.1] };

describe('search space', () => {
  it('a grid tries every combination, in order', () => {
    const search = SearchSchema.parse({ method: 'grid', trials: 100, space: SPACE });
    expect(trialParams(search, 42)).toEqual([
      { layers: [4], learning_rate: 0.001 },
      { layers: [4], learning_rate: 0.01 },
      { layers: [4], learning_rate: 0.1 },
      { layers: [16], learning_rate: 0.001 },
      { layers: [16], learning_rate: 0.01 },
      { layers: [16], learning_rate: 0.1 },
    ]);
    expect(trialParams({ ...search, trials: 2 }, 42)).toHaveLength(2);
  });

  it('a random search draws distinct combinations of the grid, the same for a seed', () => {
    const search = SearchSchema.parse({ method: 'random', trials: 4, space: SPACE });
    const grid = trialParams({ ...search, method: 'grid', trials: 100 }, 42);
    const drawn = trialParams(search, 42);
    expect(drawn).toHaveLength(4);
    for (const params of drawn) expect(grid).toContainEqual(params);
    expect(new Set(drawn.map((p) => JSON.stringify(p))).size).toBe(4);
    expect(trialParams(search, 42)).toEqual(drawn);
    const others = [1, 2, 3].map((seed) => JSON.stringify(trialParams(search, seed)));
    expect(others.some((o) => o !== JSON.stringify(drawn))).toBe(true);
  });

  it('refuses keys the model does not have and values the model would refuse', async () => {
    const yaml = (space: string) =>
      `data: { target: Species, features: [{ name: Island, type: categorical }] }\nmodel: { task: classification }\nsearch:\n  space: ${space}\n`;
    await expect(
      loadConfig(await project.write('bad.yaml', yaml('{ layer: [[4]] }'))),
    ).rejects.toThrow('search.space.layer: unknown model key');
    await expect(
      loadConfig(await project.write('bad.yaml', yaml('{ learning_rate: [0.1, -1] }'))),
    ).rejects.toThrow('search.space.learning_rate[1]: expected a positive number, got -1');
  });
});

describe('search', () => {
  async function searchWith(settings: string[]) {
    const ctx = await openRun(project.path('mlops.yaml'), ['model.epochs=10', ...settings]);
    const seen: TrialRecord[] = [];
    const outcome = await train({
      config: ctx.loaded.config,
      dataset: ctx.dataset,
      split: ctx.split,
      onTrial: (t) => seen.push(t),
    });
    outcome.network.dispose();
    return { outcome, seen };
  }

  it('records every trial of a grid and keeps the one with the lowest validation loss', async () => {
    const { outcome, seen } = await searchWith([
      'search.space.learning_rate=[0.001, 0.05]',
      'search.space.layers=[[4], [16]]',
    ]);
    expect(outcome.trials).toHaveLength(4);
    expect(seen).toEqual(outcome.trials);
    expect(outcome.trials.map((t) => t.params)).toEqual([
      { learning_rate: 0.001, layers: [4] },
      { learning_rate: 0.001, layers: [16] },
      { learning_rate: 0.05, layers: [4] },
      { learning_rate: 0.05, layers: [16] },
    ]);
    for (const t of outcome.trials) {
      expect(t.metric).toBe('val_loss');
      expect(t.epochs_run).toBe(10);
    }
    const best = outcome.trials.reduce((a, b) => (b.score < a.score ? b : a));
    expect(outcome.model).toMatchObject(best.params);
    expect(Math.min(...outcome.fit.history.map((h) => h.val_loss))).toBe(best.score);
    // Trials really differ: a search that scores them all alike finds nothing.
    expect(new Set(outcome.trials.map((t) => t.score)).size).toBe(4);
  });

  it('keeps the highest score for a metric where higher is better', async () => {
    const { outcome } = await searchWith([
      'search.method=random',
      'search.trials=3',
      'search.metric=macro_f1',
      'search.space.learning_rate=[0.0005, 0.001, 0.01, 0.05]',
    ]);
    expect(outcome.trials).toHaveLength(3);
    const best = outcome.trials.reduce((a, b) => (b.score > a.score ? b : a));
    expect(outcome.model.learning_rate).toBe(best.params['learning_rate']);
    expect(outcome.validation.metrics['macro_f1']).toBe(best.score);
  });
});
