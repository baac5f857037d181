/** reports/bench.json: what one benchmark run measured, and the baseline of the next. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
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

/** A baseline is any earlier bench.json; what matters is `metrics`. */
export const BenchBaselineSchema = z.looseObject({
  model_version: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
});

export type BenchBaseline = z.infer<typeof BenchBaselineSchema>;

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'input',
      `${path}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PipelineError('input', `${path}: the ${what} is not valid JSON`);
  }
}

function parsed<T>(path: string, result: z.ZodSafeParseResult<T>, hint: string): T {
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PipelineError('input', `${path}: ${issue.path.join('.') || 'file'}: ${issue.message}`, {
    hint,
  });
}

export async function readBenchFile(path: string): Promise<BenchFile> {
  return parsed(
    path,
    BenchFileSchema.safeParse(await readJson(path, 'benchmark file')),
    'Write it with `mlops bench`.',
  );
}

export async function readBenchBaseline(path: string): Promise<BenchBaseline> {
  return parsed(
    path,
    BenchBaselineSchema.safeParse(await readJson(path, 'benchmark baseline')),
    'A benchmark baseline is the bench.json of an earlier `mlops bench` run.',
  );
}
