/** reports/metrics.json: the machine-readable result of a run, and the baseline of the next. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { GateResultSchema } from '../gate/gate.js';

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

/** A baseline is any metrics.json (or model metadata.json): what matters is `metrics`. */
export const BaselineSchema = z.looseObject({
  model_version: z.string().optional(),
  metrics: z.record(z.string(), z.number()),
});

export type Baseline = z.infer<typeof BaselineSchema>;

async function readJsonFile(path: string, what: string): Promise<unknown> {
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

export async function readMetricsFile(path: string): Promise<MetricsFile> {
  const parsed = MetricsFileSchema.safeParse(await readJsonFile(path, 'metrics file'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineError('input', `${path}: ${issue.path.join('.')}: ${issue.message}`, {
      hint: 'Write it with `mlops evaluate` (or `mlops run`).',
    });
  }
  return parsed.data;
}

export async function readBaseline(path: string): Promise<Baseline> {
  const parsed = BaselineSchema.safeParse(await readJsonFile(path, 'baseline'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineError(
      'input',
      `${path}: ${issue.path.join('.') || 'baseline'}: ${issue.message}`,
      {
        hint: 'A baseline is the metrics.json of the production model: {"metrics": {"accuracy": 0.97, …}}.',
      },
    );
  }
  return parsed.data;
}
