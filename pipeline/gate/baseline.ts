/**
 * What the change gates (`max_drop`, `max_rise`, a benchmark's `max_rise_pct`)
 * compare with: an earlier run's numbers. Below the report and the benchmark,
 * which both read one.
 */
import { z } from 'zod';
import { readJsonWith } from '../util/json-file.js';

/**
 * A baseline is any metrics.json (or a registry version record, which copies its
 * test metrics): what matters is `metrics`.
 */
export const BaselineSchema = z.looseObject({
  model_version: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
});

export type Baseline = z.infer<typeof BaselineSchema>;

export function readBaseline(path: string): Promise<Baseline> {
  return readJsonWith(
    path,
    'baseline',
    BaselineSchema,
    'A baseline is the metrics.json of the production model: {"metrics": {"accuracy": 0.97, …}}.',
  );
}
