/**
 * Whether a prediction is made of finite numbers. A NaN or an infinity cannot
 * be written as JSON, and it is no answer a client can use: the server refuses
 * to serve a model that gives one on a typical row, and answers a row that
 * makes one with an error naming that row.
 */
import type { Prediction } from '../predict/predict.js';

function isFinitePrediction(p: Prediction): boolean {
  if ('value' in p) return Number.isFinite(p.value);
  for (const v of Object.values(p.probabilities)) if (!Number.isFinite(v)) return false;
  return true;
}

/** The 0-based rows of `predictions` that are not finite. */
export function nonFiniteRows(predictions: readonly Prediction[]): number[] {
  const rows: number[] = [];
  predictions.forEach((p, i) => {
    if (!isFinitePrediction(p)) rows.push(i);
  });
  return rows;
}

export const NON_FINITE_MESSAGE =
  'the model gives no finite prediction for this row (values far outside the training data?)';
