/** Predictions for rows of feature values, with the transform saved beside the model. */
import type { ModelBundle } from '../model/load.js';
import { predictMatrix } from '../model/predict-matrix.js';
import {
  decodeRegression,
  encodeRows,
  type FieldError,
  type Preprocess,
} from '../prepare/preprocess.js';

export type Prediction =
  { label: string; probabilities: Record<string, number> } | { value: number };

export type PredictOutcome =
  { ok: true; predictions: Prediction[] } | { ok: false; errors: FieldError[] };

export function predictRows(bundle: ModelBundle, rows: readonly unknown[]): PredictOutcome {
  const pre = bundle.preprocess;
  const { x, errors } = encodeRows(pre, rows);
  if (errors.length) return { ok: false, errors };
  if (!rows.length) return { ok: true, predictions: [] };
  const out = predictMatrix(bundle.network, x, rows.length, pre.inputSize);
  const predictions = decodeOutputs(pre, out, 0, rows.length);
  const unusable = nonFiniteRows(predictions);
  return unusable.length
    ? {
        ok: false,
        errors: unusable.map((row) => ({ row, field: '', message: NON_FINITE_MESSAGE })),
      }
    : { ok: true, predictions };
}

/**
 * NaN and infinities would reach JSON as null: no answer a caller can use. The
 * CLI and the server both refuse such a row with this message.
 */
export const NON_FINITE_MESSAGE =
  'the model gives no finite prediction for this row (NaN or infinity: a value far outside the training data, or weights that are not finite)';

function isFinitePrediction(p: Prediction): boolean {
  if ('value' in p) return Number.isFinite(p.value);
  return Object.values(p.probabilities).every(Number.isFinite);
}

/** The 0-based rows of `predictions` that are not finite. */
export function nonFiniteRows(predictions: readonly Prediction[]): number[] {
  const rows: number[] = [];
  predictions.forEach((p, i) => {
    if (!isFinitePrediction(p)) rows.push(i);
  });
  return rows;
}

/**
 * Predictions for rows `from` to `from + count` of the network's output, so a
 * server can run several requests' rows through the network at once.
 */
export function decodeOutputs(
  pre: Preprocess,
  out: Float32Array,
  from: number,
  count: number,
): Prediction[] {
  const target = pre.target;
  const predictions: Prediction[] = new Array(count);
  if (target.task === 'regression') {
    for (let i = 0; i < count; i++)
      predictions[i] = { value: decodeRegression(pre, out[from + i]!) };
    return predictions;
  }
  const k = target.classes.length;
  for (let i = 0; i < count; i++) {
    const base = (from + i) * k;
    let best = 0;
    const probabilities: Record<string, number> = {};
    for (let j = 0; j < k; j++) {
      probabilities[target.classes[j]!] = out[base + j]!;
      if (out[base + j]! > out[base + best]!) best = j;
    }
    predictions[i] = { label: target.classes[best]!, probabilities };
  }
  return predictions;
}
