/**
 * reports/metrics.json: the machine-readable result of a run, and the baseline
 * of the next (gate/baseline.ts reads it as one). The only home of a model's
 * test metrics: the model bundle keeps the bytes training wrote.
 */
import { z } from 'zod';
import { GateResultSchema } from '../gate/gate.js';
import { readJsonWith } from '../util/json-file.js';

export const MetricsFileSchema = z.object({
  model_version: z.string(),
  name: z.string(),
  task: z.enum(['classification', 'regression']),
  created_at: z.string(),
  split: z.literal('test'),
  rows: z.number(),
  metrics: z.record(z.string(), z.number()),
  /** Classification: confusion[true][predicted] in `classes` order. */
  confusion: z.array(z.array(z.number())).optional(),
  classes: z.array(z.string()).optional(),
  /** Empty until the gates are checked. */
  gates: z.array(GateResultSchema),
  /** null until the gates are checked. */
  passed: z.boolean().nullable(),
  baseline: z.object({ model_version: z.string().nullable(), path: z.string() }).nullable(),
});

export type MetricsFile = z.infer<typeof MetricsFileSchema>;

export function readMetricsFile(path: string): Promise<MetricsFile> {
  return readJsonWith(
    path,
    'metrics file',
    MetricsFileSchema,
    'Write it with `mlops evaluate` (or `mlops run`).',
  );
}
