/**
 * The training profile (profile.json in the model bundle): what the live
 * traffic is compared with. Per feature, the training rows' shares over the
 * bins data drift uses (numeric: the deciles; categorical: one bin per
 * category) and the missing share; the model's predictions on the test split;
 * and the thresholds the config sets for drift and for the live metric. Older
 * bundles have no profile: the server serves them and says "no profile".
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { numericBinCounts, numericBinEdges } from '../data/diff/drift.js';
import { column, takeRows, type Table } from '../data/table.js';
import { PipelineError } from '../errors.js';
import { readJson } from '../model/files.js';
import type { ModelBundle } from '../model/load.js';
import { predictMatrix } from '../model/predict-matrix.js';
import { decodeOutputs } from '../predict/predict.js';
import { transformTable } from '../prepare/preprocess.js';

export const PROFILE_FILE = 'profile.json';

const share = z.number().min(0).max(1);

const NumericProfile = z.object({
  name: z.string(),
  type: z.literal('numeric'),
  /** Bin i holds values in (edges[i-1], edges[i]]: edges.length + 1 bins. */
  edges: z.array(z.number()),
  /** Share of the present values in each bin. */
  shares: z.array(share),
  missing: share,
});
const CategoricalProfile = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  categories: z.array(z.string()),
  shares: z.array(share),
  missing: share,
});

export const ProfileSchema = z
  .object({
    format: z.literal('mlops-profile/1'),
    /** Training rows the feature shares come from. */
    rows: z.number().int().nonnegative(),
    features: z.array(z.discriminatedUnion('type', [NumericProfile, CategoricalProfile])),
    predictions: z.discriminatedUnion('task', [
      z.object({
        task: z.literal('classification'),
        rows: z.number().int().nonnegative(),
        classes: z.array(z.string()),
        shares: z.array(share),
      }),
      z.object({
        task: z.literal('regression'),
        rows: z.number().int().nonnegative(),
        mean: z.number(),
        quantiles: z.record(z.string(), z.number()),
        edges: z.array(z.number()),
        shares: z.array(share),
      }),
    ]),
    thresholds: z.object({
      /** data.drift.psi: a feature whose PSI exceeds it has drifted. */
      psi: z.number().positive(),
      /** gates.<metric>.min / max of the live metric (accuracy; rmse, mae), when set. */
      accuracy_min: z.number().optional(),
      rmse_max: z.number().optional(),
      mae_max: z.number().optional(),
    }),
  })
  .describe('profile.json: the training profile live traffic is compared with.');
export type Profile = z.infer<typeof ProfileSchema>;
export type FeatureProfile = Profile['features'][number];

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total ? c / total : 0));
}

function featureProfile(table: Table, name: string): FeatureProfile {
  const col = column(table, name);
  const rows = table.rowCount;
  if (col.type === 'numeric') {
    const edges = numericBinEdges(col.values);
    let missing = 0;
    for (const v of col.values) if (Number.isNaN(v)) missing++;
    return {
      name,
      type: 'numeric',
      edges,
      shares: shares(numericBinCounts(col.values, edges)),
      missing: rows ? missing / rows : 0,
    };
  }
  const tally = new Map<string, number>();
  let missing = 0;
  for (const v of col.values)
    if (v === null) missing++;
    else tally.set(v, (tally.get(v) ?? 0) + 1);
  const categories = [...tally.keys()].sort();
  return {
    name,
    type: 'categorical',
    categories,
    shares: shares(categories.map((c) => tally.get(c)!)),
    missing: rows ? missing / rows : 0,
  };
}

function predictionProfile(bundle: ModelBundle, test: Table): Profile['predictions'] {
  const pre = bundle.preprocess;
  const out = test.rowCount
    ? predictMatrix(bundle.network, transformTable(pre, test), test.rowCount, pre.inputSize)
    : new Float32Array();
  const predictions = decodeOutputs(pre, out, 0, test.rowCount);
  if (pre.target.task === 'classification') {
    const classes = pre.target.classes;
    const counts = new Array<number>(classes.length).fill(0);
    for (const p of predictions) if ('label' in p) counts[classes.indexOf(p.label)]!++;
    return { task: 'classification', rows: test.rowCount, classes, shares: shares(counts) };
  }
  const values = Float64Array.from(predictions, (p) => ('value' in p ? p.value : NaN));
  const sorted = Float64Array.from(values).sort();
  const edges = numericBinEdges(values);
  return {
    task: 'regression',
    rows: test.rowCount,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
    quantiles: Object.fromEntries(
      QUANTILES.map((q) => [
        `p${Math.round(q * 100)}`,
        sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0,
      ]),
    ),
    edges,
    shares: shares(numericBinCounts(values, edges)),
  };
}

/** The profile of a freshly trained model: feature shares from `train`, predictions on `test`. */
export function buildProfile(
  config: Config,
  bundle: ModelBundle,
  table: Table,
  split: { train: ArrayLike<number>; test: ArrayLike<number> },
): Profile {
  const train = takeRows(table, split.train);
  const gate = (name: string) => config.gates[name];
  return {
    format: 'mlops-profile/1',
    rows: train.rowCount,
    features: bundle.preprocess.features.map((f) => featureProfile(train, f.name)),
    predictions: predictionProfile(bundle, takeRows(table, split.test)),
    thresholds: {
      psi: config.data.drift.psi,
      ...(gate('accuracy')?.min !== undefined ? { accuracy_min: gate('accuracy')!.min } : {}),
      ...(gate('rmse')?.max !== undefined ? { rmse_max: gate('rmse')!.max } : {}),
      ...(gate('mae')?.max !== undefined ? { mae_max: gate('mae')!.max } : {}),
    },
  };
}

/** The profile in a bundle folder; undefined for a bundle written before profiles. */
export async function readProfile(dir: string): Promise<Profile | undefined> {
  try {
    await access(join(dir, PROFILE_FILE));
  } catch {
    return undefined;
  }
  const parsed = ProfileSchema.safeParse(await readJson(dir, PROFILE_FILE));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineError(
      'model',
      `${join(dir, PROFILE_FILE)}: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return parsed.data;
}
