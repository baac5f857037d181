/** Predictions for rows of feature values, with the transform saved beside the model. */
import type { ModelBundle } from '../package/bundle.js';
import { decodeRegression, encodeRows, type FieldError } from '../prepare/preprocess.js';
import { predictMatrix } from '../train/fit.js';

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
  const target = pre.target;
  if (target.task === 'regression')
    return { ok: true, predictions: Array.from(out, (v) => ({ value: decodeRegression(pre, v) })) };
  const k = target.classes.length;
  const predictions = rows.map((_, i) => {
    let best = 0;
    const probabilities: Record<string, number> = {};
    for (let j = 0; j < k; j++) {
      probabilities[target.classes[j]!] = out[i * k + j]!;
      if (out[i * k + j]! > out[i * k + best]!) best = j;
    }
    return { label: target.classes[best]!, probabilities };
  });
  return { ok: true, predictions };
}
