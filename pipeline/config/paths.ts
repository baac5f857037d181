import { join } from 'node:path';

/** Where a pipeline's outputs go: artifacts/ and reports/ beside its mlops.yaml. */
export interface OutputPaths {
  artifacts: string;
  model: string;
  reports: string;
  metrics: string;
  report: string;
}

export function outputPaths(configDir: string): OutputPaths {
  const artifacts = join(configDir, 'artifacts');
  const reports = join(configDir, 'reports');
  return {
    artifacts,
    model: join(artifacts, 'model'),
    reports,
    metrics: join(reports, 'metrics.json'),
    report: join(reports, 'report.md'),
  };
}
