/** The trials of a hyper-parameter search: a grid in order, or a seeded random draw from it. */
import seedrandom from 'seedrandom';
import type { ModelConfig, SearchConfig } from '../config/schema.js';
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

/** The model a trial trains: its values over the config's, `params.<name>` into model.params. */
export function trialModel(model: ModelConfig, params: TrialParams): ModelConfig {
  const top: TrialParams = {};
  const nested: TrialParams = {};
  for (const [key, value] of Object.entries(params))
    if (key.startsWith('params.')) nested[key.slice('params.'.length)] = value;
    else top[key] = value;
  const merged = { ...model, ...top } as ModelConfig;
  return Object.keys(nested).length
    ? { ...merged, params: { ...model.params, ...nested } }
    : merged;
}
