/**
 * Rows to predict while benchmarking, made from the feature schema saved with
 * the model (preprocess.json), so a benchmark needs the model and nothing else.
 */
import seedrandom from 'seedrandom';
import type { Preprocess } from '../prepare/preprocess.js';

/** `count` rows of plausible values: numeric near the training mean, categories in turn. */
export function sampleRows(pre: Preprocess, count: number, seed = 1): Record<string, unknown>[] {
  const random = seedrandom.alea(`bench-rows:${seed}`);
  return Array.from({ length: count }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const f of pre.features) {
      if (f.type === 'numeric') row[f.name] = f.mean + (random() * 2 - 1) * f.std;
      else row[f.name] = f.categories.length ? f.categories[i % f.categories.length] : null;
    }
    return row;
  });
}
