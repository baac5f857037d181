/** reports/bench.json: what one benchmark run measured, and the baseline of the next. */
import { z } from 'zod';
import { BaselineSchema, type Baseline } from '../gate/baseline.js';
import { readJsonWith } from '../util/json-file.js';
import { BenchGateResultSchema } from './gate.js';
import { LatencySchema } from './stats.js';

const TimedSchema = z.object({ latency: LatencySchema, rows_per_s: z.number() });

export const BenchFileSchema = z.object({
  format: z.literal('mlops-bench/1'),
  name: z.string(),
  model_version: z.string(),
  created_at: z.string(),
  backend: z.string(),
  node_version: z.string(),
  settings: z.object({
    iterations: z.number(),
    warmup: z.number(),
    batch_size: z.number(),
    url: z.string().nullable(),
    connections: z.number(),
    seconds: z.number(),
  }),
  in_process: z.object({ single: TimedSchema, batch: TimedSchema }),
  http: z
    .object({
      single: TimedSchema,
      batch: TimedSchema,
      requests_per_s: z.number(),
      loaded_p50_ms: z.number(),
      loaded_p99_ms: z.number(),
      errors: z.number(),
      connections: z.number(),
    })
    .nullable(),
  model_size_bytes: z.number(),
  /** Peak resident memory of the benchmarking process. */
  peak_rss_mb: z.number(),
  training: z.object({ seconds: z.number(), samples_per_second: z.number() }),
  /** Every measurement under its flat name (see metrics.ts): what gates and baselines compare. */
  metrics: z.record(z.string(), z.number()),
  gates: z.array(BenchGateResultSchema),
  /** null until the gates are checked. */
  passed: z.boolean().nullable(),
  baseline: z.object({ model_version: z.string().nullable(), path: z.string() }).nullable(),
});

export type BenchFile = z.infer<typeof BenchFileSchema>;

/** A baseline is any earlier bench.json; what matters is `metrics`, as for metrics.json. */
export const BenchBaselineSchema = BaselineSchema;

export type BenchBaseline = Baseline;

export function readBenchFile(path: string): Promise<BenchFile> {
  return readJsonWith(path, 'benchmark file', BenchFileSchema, 'Write it with `mlops bench`.');
}

export function readBenchBaseline(path: string): Promise<BenchBaseline> {
  return readJsonWith(
    path,
    'benchmark baseline',
    BenchBaselineSchema,
    'A benchmark baseline is the bench.json of an earlier `mlops bench` run.',
  );
}
