/** The trials of a hyper-parameter search: a grid in order, or a seeded random draw from it. */
import seedrandom from 'seedrandom';
import type { SearchConfig } from '../config/schema.js';
import { shuffleInPlace } from '../data/split.js';

export type TrialParams = Record<string, unknown>;

export function trialParams(search: SearchConfig, seed: number): TrialParams[] {
  const keys = Object.keys(search.space);
  let combos: TrialParams[] = [{}];
  for (const key of keys)
    combos = combos.flatMap((c) => search.space[key]!.map((value) => ({ ...c, [key]: value })));
  if (search.method === 'random') shuffleInPlace(combos, seedrandom.alea(`search:${seed}`));
  return combos.slice(0, search.trials);
}
