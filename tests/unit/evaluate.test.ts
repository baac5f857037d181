/**
 * The metrics against the worked examples of scikit-learn's documentation: the
 * numbers below are the ones those pages print.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classificationMetrics,
  flattenMetrics,
  regressionMetrics,
  rocAuc,
} from '../../pipeline/evaluate/metrics.js';
import { evaluateNetwork } from '../../pipeline/evaluate/evaluate.js';
import { takeRows } from '../../pipeline/data/table.js';
import { openRun } from '../../pipeline/run/context.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { train } from '../../pipeline/train/train.js';
import { penguinsProject, type TempProject } from '../helpers/project.js';

/** Hard predictions as probabilities: 1 on the predicted class. */
function oneHot(predicted: readonly number[], k: number): number[] {
  return predicted.flatMap((p) => Array.from({ length: k }, (_, j) => (j === p ? 1 : 0)));
}

describe('classification metrics', () => {
  // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html
  // y_true = [0, 1, 2, 0, 1, 2]; y_pred = [0, 2, 1, 0, 0, 1]; f1_score(..., average='macro') 0.26...
  const yTrue = [0, 1, 2, 0, 1, 2];
  const yPred = [0, 2, 1, 0, 0, 1];
  const m = classificationMetrics(yTrue, oneHot(yPred, 3), ['0', '1', '2']);

  it('macro F1 as sklearn.metrics.f1_score', () => {
    expect(m.macro_f1).toBeCloseTo(0.26666666666666666, 12);
  });

  it('per-class precision and recall as sklearn.metrics.precision_score / recall_score', () => {
    // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.precision_score.html
    // average=None: array([0.66..., 0.        , 0.        ])
    expect(m.precision).toEqual({ '0': expect.closeTo(2 / 3, 12), '1': 0, '2': 0 });
    // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.recall_score.html
    // average=None: array([1., 0., 0.])
    expect(m.recall).toEqual({ '0': 1, '1': 0, '2': 0 });
  });

  it('accuracy as sklearn.metrics.accuracy_score', () => {
    // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html
    // y_pred = [0, 2, 1, 3]; y_true = [0, 1, 2, 3]; accuracy_score -> 0.5
    const acc = classificationMetrics([0, 1, 2, 3], oneHot([0, 2, 1, 3], 4), ['0', '1', '2', '3']);
    expect(acc.accuracy).toBe(0.5);
    expect(m.accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('confusion matrix as sklearn.metrics.confusion_matrix', () => {
    // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.confusion_matrix.html
    // y_true = [2, 0, 2, 2, 0, 1]; y_pred = [0, 0, 2, 2, 0, 2]
    const c = classificationMetrics([2, 0, 2, 2, 0, 1], oneHot([0, 0, 2, 2, 0, 2], 3), [
      '0',
      '1',
      '2',
    ]);
    expect(c.confusion).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });

  it('log loss as sklearn.metrics.log_loss', () => {
    // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.log_loss.html
    // log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]]) 0.21616...
    // Classes sort as ham, spam.
    const l = classificationMetrics(
      [1, 0, 0, 1],
      [0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65],
      ['ham', 'spam'],
    );
    expect(l.log_loss).toBeCloseTo(0.21616, 5);
  });

  it('ROC AUC as sklearn.metrics.roc_auc_score', () => {
    // https://scikit-learn.org/0.22/modules/generated/sklearn.metrics.roc_auc_score.html
    // y_true = [0, 0, 1, 1]; y_scores = [0.1, 0.4, 0.35, 0.8]; roc_auc_score -> 0.75
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    const binary = classificationMetrics(
      [0, 0, 1, 1],
      [0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8],
      ['no', 'yes'],
    );
    expect(binary.roc_auc).toBe(0.75);
    // Tied scores count half, and one class alone has no curve.
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeUndefined();
  });

  it('flattens per-class metrics under their class names', () => {
    const flat = flattenMetrics(m);
    expect(Object.keys(flat)).toEqual([
      'accuracy',
      'macro_f1',
      'log_loss',
      'precision.0',
      'precision.1',
      'precision.2',
      'recall.0',
      'recall.1',
      'recall.2',
    ]);
  });
});

describe('regression metrics', () => {
  // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.r2_score.html
  // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.mean_absolute_error.html
  // https://scikit-learn.org/stable/modules/generated/sklearn.metrics.root_mean_squared_error.html
  // y_true = [3, -0.5, 2, 7]; y_pred = [2.5, 0.0, 2, 8]
  it('r2, MAE and RMSE as sklearn.metrics r2_score, mean_absolute_error, root_mean_squared_error', () => {
    const r = regressionMetrics([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);
    expect(r.r2).toBeCloseTo(0.9486081370449679, 12); // 0.948...
    expect(r.mae).toBe(0.5);
    expect(r.rmse).toBeCloseTo(0.6123724356957945, 12); // 0.612...
  });

  it('r2 of a constant target as sklearn: 1 when perfect, else 0', () => {
    // r2_score docs: y_true = [-2, -2, -2]; y_pred = [-2, -2, -2] -> 1.0; [-2, -2, -2 + 1e-8] -> 0.0
    expect(regressionMetrics([-2, -2, -2], [-2, -2, -2]).r2).toBe(1);
    expect(regressionMetrics([-2, -2, -2], [-2, -2, -2 + 1e-8]).r2).toBe(0);
    // y_true = [1, 2, 3]; y_pred = [3, 2, 1] -> -3.0
    expect(regressionMetrics([1, 2, 3], [3, 2, 1]).r2).toBe(-3);
  });
});

describe('evaluate', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await penguinsProject();
    await initBackend();
  });
  afterAll(() => project.remove());

  it('scores a trained network on the test split with the metrics of its task', async () => {
    const ctx = await openRun(project.path('mlops.yaml'));
    const outcome = await train({
      config: ctx.loaded.config,
      dataset: ctx.dataset,
      split: ctx.split,
    });
    const testRows = takeRows(ctx.dataset.table, ctx.split.test);
    const evaluation = evaluateNetwork(outcome.network, outcome.preprocess, testRows);
    expect(evaluation.rows).toBe(ctx.split.test.length);
    expect(evaluation.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);
    const detail = evaluation.detail as { confusion: number[][] };
    // Every test row is counted once, in its true class's row.
    expect(detail.confusion.flat().reduce((a, b) => a + b, 0)).toBe(testRows.rowCount);
    const correct = detail.confusion.reduce((n, r, i) => n + r[i]!, 0);
    expect(evaluation.metrics['accuracy']).toBe(correct / testRows.rowCount);
    outcome.network.dispose();
  });
});
