/**
 * Test-set metrics with scikit-learn's definitions. Written here because no
 * maintained JavaScript package computes this set (macro F1, log loss, ROC AUC,
 * confusion matrix) over typed arrays; the tests check them against the
 * examples in scikit-learn's documentation.
 */

export interface ClassificationMetrics {
  accuracy: number;
  macro_f1: number;
  log_loss: number;
  roc_auc?: number;
  precision: Record<string, number>;
  recall: Record<string, number>;
  /** confusion[true][predicted], in class order. */
  confusion: number[][];
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

/** `proba` is row-major (rows × classes). */
export function classificationMetrics(
  yTrue: ArrayLike<number>,
  proba: ArrayLike<number>,
  classes: readonly string[],
): ClassificationMetrics {
  const k = classes.length;
  const n = yTrue.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let logLoss = 0;
  const eps = 1e-15;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const p = proba[i * k + j]!;
      sum += p;
      if (p > proba[i * k + best]!) best = j;
    }
    const t = yTrue[i]!;
    confusion[t]![best]!++;
    if (best === t) correct++;
    // Like scikit-learn: probabilities renormalised per row, then clipped.
    const p = Math.min(Math.max(proba[i * k + t]! / (sum || 1), eps), 1 - eps);
    logLoss -= Math.log(p);
  }
  const precision: Record<string, number> = {};
  const recall: Record<string, number> = {};
  let f1Sum = 0;
  classes.forEach((name, c) => {
    const tp = confusion[c]![c]!;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j]![c]!;
      actual += confusion[c]![j]!;
    }
    const p = predicted ? tp / predicted : 0;
    const r = actual ? tp / actual : 0;
    precision[name] = p;
    recall[name] = r;
    f1Sum += p + r ? (2 * p * r) / (p + r) : 0;
  });
  const metrics: ClassificationMetrics = {
    accuracy: correct / n,
    macro_f1: f1Sum / k,
    log_loss: logLoss / n,
    precision,
    recall,
    confusion,
  };
  if (k === 2) {
    const scores = Array.from({ length: n }, (_, i) => proba[i * 2 + 1]!);
    const auc = rocAuc(Array.from(yTrue), scores);
    if (auc !== undefined) metrics.roc_auc = auc;
  }
  return metrics;
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a
 * random positive scores above a random negative, ties counting half.
 */
export function rocAuc(yTrue: readonly number[], scores: readonly number[]): number | undefined {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) ranks[order[m]![1]] = rank;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  yTrue.forEach((y, i) => {
    if (y === 1) {
      positives++;
      rankSum += ranks[i]!;
    }
  });
  const negatives = yTrue.length - positives;
  if (!positives || !negatives) return undefined;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function regressionMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
): RegressionMetrics {
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let se = 0;
  let ae = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const d = yTrue[i]! - yPred[i]!;
    se += d * d;
    ae += Math.abs(d);
    tot += (yTrue[i]! - mean) ** 2;
  }
  return {
    rmse: Math.sqrt(se / n),
    mae: ae / n,
    // scikit-learn's convention for a constant target: 1 if perfect, else 0.
    r2: tot === 0 ? (se === 0 ? 1 : 0) : 1 - se / tot,
  };
}

/** Metrics as one flat name → number map: per-class ones as `precision.<class>`. */
export function flattenMetrics(
  m: ClassificationMetrics | RegressionMetrics,
): Record<string, number> {
  if ('rmse' in m) return { rmse: m.rmse, mae: m.mae, r2: m.r2 };
  const flat: Record<string, number> = {
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
    log_loss: m.log_loss,
  };
  if (m.roc_auc !== undefined) flat['roc_auc'] = m.roc_auc;
  for (const [c, v] of Object.entries(m.precision)) flat[`precision.${c}`] = v;
  for (const [c, v] of Object.entries(m.recall)) flat[`recall.${c}`] = v;
  return flat;
}
