/** Score a trained network on a split: the metrics of its task, flat and in detail. */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Table } from '../data/table.js';
import { predictMatrix } from '../model/predict-matrix.js';
import {
  decodeRegression,
  encodeTarget,
  transformTable,
  type Preprocess,
} from '../prepare/preprocess.js';
import {
  classificationMetrics,
  flattenMetrics,
  regressionMetrics,
  type ClassificationMetrics,
  type RegressionMetrics,
} from './metrics.js';

export interface Evaluation {
  /** name → value, per-class metrics as `precision.<class>`. */
  metrics: Record<string, number>;
  detail: ClassificationMetrics | RegressionMetrics;
  rows: number;
}

export function evaluateNetwork(
  network: tfl.LayersModel,
  pre: Preprocess,
  table: Table,
): Evaluation {
  const x = transformTable(pre, table);
  const out = predictMatrix(network, x, table.rowCount, pre.inputSize);
  const y = encodeTarget(pre, table);
  let detail: ClassificationMetrics | RegressionMetrics;
  if (pre.target.task === 'classification') {
    detail = classificationMetrics(y, out, pre.target.classes);
  } else {
    const truth = Float64Array.from(y, (v) => decodeRegression(pre, v));
    const predicted = Float64Array.from(out, (v) => decodeRegression(pre, v));
    detail = regressionMetrics(truth, predicted);
  }
  return { metrics: flattenMetrics(detail), detail, rows: table.rowCount };
}
