import { PipelineError } from '../../../pipeline/errors.js';
import { BACKENDS, type BackendName } from '../../../pipeline/train/backend.js';
import { lines, text } from '../../shared/src/inputs.js';

export interface BenchmarkSettings {
  config: string;
  overrides: string[];
  backend?: BackendName;
  /** bench.json of the production model, for changes and change gates. */
  baseline: string | undefined;
  /** The report the Benchmark section is added to. */
  report: string;
}

export function readSettings(): BenchmarkSettings {
  const backend = text('backend');
  if (backend && !BACKENDS.includes(backend as BackendName))
    throw new PipelineError(
      'usage',
      `input "backend": expected one of ${BACKENDS.join(', ')}, got "${backend}"`,
    );
  return {
    config: text('config', 'mlops.yaml'),
    overrides: lines('set'),
    backend: (backend || undefined) as BackendName | undefined,
    baseline: text('baseline') || undefined,
    report: text('report', 'reports/report.md'),
  };
}
