/**
 * Preprocessing fitted on the training rows only and saved beside the model, so
 * evaluation, `mlops predict` and the server all apply exactly the same transform:
 * numeric columns are standardised (missing values take the training mean),
 * categorical ones are one-hot with one extra slot for unseen or missing values.
 * Every category seen in the training split gets its own slot, however many
 * there are: none is folded into the unknown slot. feature-inputs.ts reads the
 * same row feature by feature, for a model that takes a category's index.
 */
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { PipelineError } from '../errors.js';
import { column, type Table } from '../data/table.js';
import { clip } from '../util/text.js';

const NumericFeature = z.object({
  name: z.string(),
  type: z.literal('numeric'),
  mean: z.number(),
  std: z.number().positive(),
});
const CategoricalFeature = z.object({
  name: z.string(),
  type: z.literal('categorical'),
  categories: z.array(z.string()),
});

export const PreprocessSchema = z.object({
  version: z.literal(1),
  features: z.array(z.discriminatedUnion('type', [NumericFeature, CategoricalFeature])),
  /** Columns that may be missing; others are required at prediction time. */
  optional: z.array(z.string()),
  target: z.discriminatedUnion('task', [
    z.object({
      task: z.literal('classification'),
      name: z.string(),
      classes: z.array(z.string()).min(2),
    }),
    z.object({
      task: z.literal('regression'),
      name: z.string(),
      mean: z.number(),
      std: z.number().positive(),
    }),
  ]),
  inputSize: z.number().int().positive(),
});

export type Preprocess = z.infer<typeof PreprocessSchema>;
export type PreprocessFeature = Preprocess['features'][number];

export function fitPreprocess(train: Table, config: Config, classes: string[]): Preprocess {
  const features: PreprocessFeature[] = config.data.features.map((f) => {
    const col = column(train, f.name);
    if (col.type === 'numeric') {
      const { mean, std } = meanStd(col.values);
      return { name: f.name, type: 'numeric', mean, std };
    }
    const categories = [...new Set(col.values.filter((v): v is string => v !== null))].sort();
    return { name: f.name, type: 'categorical', categories };
  });
  const targetCol = column(train, config.data.target);
  const target: Preprocess['target'] =
    config.model.task === 'classification'
      ? { task: 'classification', name: config.data.target, classes }
      : {
          task: 'regression',
          name: config.data.target,
          ...meanStd((targetCol as { values: Float64Array }).values),
        };
  return {
    version: 1,
    features,
    optional: config.data.allow_missing,
    target,
    inputSize: features.reduce((n, f) => n + featureWidth(f), 0),
  };
}

function meanStd(values: Float64Array): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
  }
  const mean = n ? sum / n : 0;
  let sq = 0;
  for (const v of values) if (!Number.isNaN(v)) sq += (v - mean) ** 2;
  const std = n > 1 ? Math.sqrt(sq / n) : 0;
  // A constant column carries no signal; dividing by 1 keeps it at zero.
  return { mean, std: std > 1e-12 ? std : 1 };
}

/** The slots a feature takes in the encoded row. */
export function featureWidth(f: PreprocessFeature): number {
  return f.type === 'numeric' ? 1 : f.categories.length + 1;
}

/** The model input of every row of `table`, row-major (rows × inputSize). */
export function transformTable(pre: Preprocess, table: Table): Float32Array {
  const out = new Float32Array(table.rowCount * pre.inputSize);
  let offset = 0;
  for (const f of pre.features) {
    const col = column(table, f.name);
    if (f.type === 'numeric') {
      const values = (col as { values: Float64Array }).values;
      for (let i = 0; i < table.rowCount; i++) {
        const v = values[i]!;
        out[i * pre.inputSize + offset] = Number.isNaN(v) ? 0 : (v - f.mean) / f.std;
      }
    } else {
      const values = (col as { values: (string | null)[] }).values;
      const index = new Map(f.categories.map((c, j) => [c, j]));
      for (let i = 0; i < table.rowCount; i++) {
        const j =
          values[i] == null ? f.categories.length : (index.get(values[i]!) ?? f.categories.length);
        out[i * pre.inputSize + offset + j] = 1;
      }
    }
    offset += featureWidth(f);
  }
  return out;
}

/** The training target: class indices, or the standardised value. */
export function encodeTarget(pre: Preprocess, table: Table): Int32Array | Float32Array {
  const col = column(table, pre.target.name);
  if (pre.target.task === 'classification') {
    const index = new Map(pre.target.classes.map((c, j) => [c, j]));
    const values = (col as { values: (string | null)[] }).values;
    return Int32Array.from(values, (v) => index.get(v!) ?? -1);
  }
  const { mean, std } = pre.target;
  return Float32Array.from((col as { values: Float64Array }).values, (v) => (v - mean) / std);
}

export function decodeRegression(pre: Preprocess, standardised: number): number {
  if (pre.target.task !== 'regression') throw new Error('not a regression model');
  return standardised * pre.target.std + pre.target.mean;
}

export interface FieldError {
  /** 0-based index of the row in the request. */
  row: number;
  field: string;
  message: string;
}

/**
 * Check rows given for prediction against the feature schema and encode them.
 * Every problem is returned with its row and field, so a server can answer 400
 * with all of them at once. Rows come from untrusted requests: a value is
 * described in a message, never serialised whole (a 5,000-deep array would
 * overflow the stack), and a name or text echoed back is clipped.
 */
export function encodeRows(
  pre: Preprocess,
  rows: readonly unknown[],
): { x: Float32Array; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const x = new Float32Array(rows.length * pre.inputSize);
  const known = new Set(pre.features.map((f) => f.name));
  const optional = new Set(pre.optional);
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      errors.push({ row: i, field: '', message: 'expected an object of feature values' });
      return;
    }
    const record = row as Record<string, unknown>;
    for (const key of Object.keys(record))
      if (!known.has(key) && key !== pre.target.name)
        errors.push({ row: i, field: clip(key), message: 'unknown field' });
    let offset = 0;
    for (const f of pre.features) {
      // Own fields only: a feature named like an Object method is not inherited.
      const value = Object.hasOwn(record, f.name) ? record[f.name] : undefined;
      const base = i * pre.inputSize + offset;
      if (value === undefined || value === null) {
        if (!optional.has(f.name)) errors.push({ row: i, field: f.name, message: 'missing' });
        if (f.type === 'categorical') x[base + f.categories.length] = 1;
      } else if (f.type === 'numeric') {
        const n = typeof value === 'string' ? isoDateToDays(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n))
          errors.push({
            row: i,
            field: f.name,
            message: `expected a number, got ${describeValue(value)}`,
          });
        else {
          const z = (n - f.mean) / f.std;
          // The network computes in 32-bit floats: 1e308 would enter it as Infinity.
          if (Number.isFinite(Math.fround(z))) x[base] = z;
          else
            errors.push({
              row: i,
              field: f.name,
              message: `${describeValue(value)} is out of the range the model takes`,
            });
        }
      } else if (typeof value !== 'string') {
        errors.push({
          row: i,
          field: f.name,
          message: `expected a string, got ${describeValue(value)}`,
        });
      } else {
        const j = f.categories.indexOf(value);
        x[base + (j >= 0 ? j : f.categories.length)] = 1;
      }
      offset += featureWidth(f);
    }
  });
  return { x, errors };
}

/** A value from a request, as a message may show it: bounded, whatever its size or depth. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

// Optional parts nest `?` in `?`; every repetition is of digits between fixed
// separators, so a text matches one way only and nothing backtracks.
const ISO_DATE =
  // eslint-disable-next-line security/detect-unsafe-regex
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Load feeds a date column to the model as days since 1970-01-01 (UTC), so a row
 * given for prediction may carry the same date text the data file holds; a number
 * is taken as that day count already.
 */
export function isoDateToDays(text: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  // Without an offset the time is UTC, as DuckDB reads a timestamp without a zone.
  const ms = Date.parse(match[1] || text.length === 10 ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms / 86_400_000;
}

export function describeFieldErrors(errors: readonly FieldError[], label = 'input'): PipelineError {
  const shown = errors
    .slice(0, 10)
    .map((e) => `  row ${e.row + 1}${e.field ? `, "${e.field}"` : ''}: ${e.message}`);
  if (errors.length > 10) shown.push(`  … and ${errors.length - 10} more`);
  return new PipelineError(
    'input',
    `${label}: ${errors.length} invalid value${errors.length === 1 ? '' : 's'}:\n${shown.join('\n')}`,
  );
}
