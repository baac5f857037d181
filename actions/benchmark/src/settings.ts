import { PipelineError } from '../../../pipeline/errors.js';
import { BACKENDS, type BackendName } from '../../../pipeline/train/backend.js';
import { integer, lines, text } from '../../shared/src/inputs.js';

export interface BenchmarkSettings {
  config: string;
  overrides: string[];
  backend?: BackendName;
  /** Single-row predictions timed, after as many warm-up calls as a tenth of them. */
  requests: number;
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
    requests: integer('requests', 300, { min: 10, max: 100_000 })!,
    report: text('report', 'reports/report.md'),
  };
}
