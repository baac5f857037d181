/**
 * The metric catalogue: which names each task reports and which way is better.
 * The config validates gate and search metric names against it; evaluate computes them.
 */
export type Task = 'classification' | 'regression';

export const CLASSIFICATION_METRICS = ['accuracy', 'macro_f1', 'log_loss', 'roc_auc'] as const;
export const REGRESSION_METRICS = ['rmse', 'mae', 'r2'] as const;

/** Per-class metrics are named `precision.<class>` and `recall.<class>`. */
export const PER_CLASS_PREFIXES = ['precision', 'recall'] as const;

const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'log_loss', 'val_loss', 'loss']);

export function metricNames(task: Task): readonly string[] {
  return task === 'classification' ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
}

export function isKnownMetric(task: Task, name: string): boolean {
  if (metricNames(task).includes(name)) return true;
  if (task !== 'classification') return false;
  const dot = name.indexOf('.');
  return (
    dot > 0 &&
    dot < name.length - 1 &&
    (PER_CLASS_PREFIXES as readonly string[]).includes(name.slice(0, dot))
  );
}

export function higherIsBetter(name: string): boolean {
  return !LOWER_IS_BETTER.has(name);
}
