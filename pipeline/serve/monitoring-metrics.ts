/**
 * The monitoring gauges, computed from the live windows when Prometheus
 * scrapes (prom-client calls collect() then): nothing is computed per
 * request. Drift and prediction shares are exported for the model being
 * served; live accuracy for every version still monitored, since feedback
 * for a replaced model's answers may still arrive.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Monitoring, VersionView } from '../monitor/monitoring.js';

/** The names exported here and in metrics.ts; the dashboard may use only these. */
export const MONITORING_METRICS = [
  'mlops_feature_psi',
  'mlops_feature_missing_ratio',
  'mlops_feature_unknown_ratio',
  'mlops_prediction_class_ratio',
  'mlops_prediction_mean',
  'mlops_prediction_psi',
  'mlops_monitoring_window_rows',
  'mlops_drift_psi_threshold',
  'mlops_live_accuracy',
  'mlops_live_accuracy_min',
  'mlops_live_rmse',
  'mlops_live_mae',
  'mlops_live_rmse_max',
  'mlops_live_mae_max',
  'mlops_live_feedback_count',
] as const;

type Name = (typeof MONITORING_METRICS)[number];

const HELP: Record<Name, string> = {
  mlops_feature_psi:
    'Population stability index of a feature: live rows in the window against the training profile (absent below the minimum rows).',
  mlops_feature_missing_ratio: 'Share of live rows in the window without a value for the feature.',
  mlops_feature_unknown_ratio:
    'Share of live values of a categorical feature that are not a training category.',
  mlops_prediction_class_ratio: 'Share of live predictions in the window, by predicted class.',
  mlops_prediction_mean: 'Mean live prediction in the window (regression).',
  mlops_prediction_psi:
    'Population stability index of the live predictions against the test split (regression).',
  mlops_monitoring_window_rows: 'Rows predicted in the monitoring window.',
  mlops_drift_psi_threshold:
    'data.drift.psi from the training config: a feature PSI above it has drifted.',
  mlops_live_accuracy: 'Accuracy of the predictions that got feedback in the window.',
  mlops_live_accuracy_min:
    'gates.accuracy.min from the training config: the bound live accuracy is held to.',
  mlops_live_rmse: 'Root mean squared error of the predictions that got feedback in the window.',
  mlops_live_mae: 'Mean absolute error of the predictions that got feedback in the window.',
  mlops_live_rmse_max:
    'gates.rmse.max from the training config: the bound live rmse is held to (regression).',
  mlops_live_mae_max:
    'gates.mae.max from the training config: the bound live mae is held to (regression).',
  mlops_live_feedback_count: 'Predicted rows that got feedback in the window.',
};

const LABELS: Record<Name, readonly string[]> = {
  mlops_feature_psi: ['model_version', 'feature'],
  mlops_feature_missing_ratio: ['model_version', 'feature'],
  mlops_feature_unknown_ratio: ['model_version', 'feature'],
  mlops_prediction_class_ratio: ['model_version', 'class'],
  mlops_prediction_mean: ['model_version'],
  mlops_prediction_psi: ['model_version'],
  mlops_monitoring_window_rows: ['model_version'],
  mlops_drift_psi_threshold: ['model_version'],
  mlops_live_accuracy: ['model_version'],
  mlops_live_accuracy_min: ['model_version'],
  mlops_live_rmse: ['model_version'],
  mlops_live_mae: ['model_version'],
  mlops_live_rmse_max: ['model_version'],
  mlops_live_mae_max: ['model_version'],
  mlops_live_feedback_count: ['model_version'],
};

type Set = (name: Name, labels: Record<string, string>, value: number | undefined) => void;

function exportView(view: VersionView, current: boolean, set: Set): void {
  const model_version = view.model_version;
  const v = { model_version };
  if (view.feedback.count) {
    set('mlops_live_feedback_count', v, view.feedback.count);
    set('mlops_live_accuracy', v, view.feedback.accuracy);
    set('mlops_live_rmse', v, view.feedback.rmse);
    set('mlops_live_mae', v, view.feedback.mae);
  }
  if (!current) return;
  set('mlops_live_accuracy_min', v, view.thresholds.accuracy_min);
  set('mlops_live_rmse_max', v, view.thresholds.rmse_max);
  set('mlops_live_mae_max', v, view.thresholds.mae_max);
  set('mlops_monitoring_window_rows', v, view.rows);
  if (!view.profile) return;
  set('mlops_drift_psi_threshold', v, view.thresholds.psi);
  for (const f of view.features) {
    const labels = { model_version, feature: f.name };
    set('mlops_feature_psi', labels, f.psi);
    set('mlops_feature_missing_ratio', labels, f.missing_ratio);
    set('mlops_feature_unknown_ratio', labels, f.unknown_ratio);
  }
  const p = view.predictions;
  if (p.task === 'classification')
    for (const c of p.classes)
      set('mlops_prediction_class_ratio', { model_version, class: c.class }, c.live_share);
  else {
    set('mlops_prediction_mean', v, p.mean ?? undefined);
    set('mlops_prediction_psi', v, p.psi);
  }
}

export function registerMonitoringMetrics(
  registry: Registry,
  monitoring: Monitoring,
  currentVersion: () => string | undefined,
): void {
  const gauges = new Map<Name, Gauge>();
  // The registry collects its metrics in the order they were registered: the
  // first gauge's collect() takes one view of the windows and sets them all.
  const collect = () => {
    for (const g of gauges.values()) g.reset();
    const set: Set = (name, labels, value) => {
      if (value !== undefined && Number.isFinite(value)) gauges.get(name)!.set(labels, value);
    };
    const current = currentVersion();
    for (const view of monitoring.views()) exportView(view, view.model_version === current, set);
  };
  for (const name of MONITORING_METRICS)
    gauges.set(
      name,
      new Gauge({
        name,
        help: HELP[name],
        labelNames: LABELS[name],
        registers: [registry],
        ...(gauges.size === 0 ? { collect } : {}),
      }),
    );
}
