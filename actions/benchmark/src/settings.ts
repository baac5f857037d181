import { pipelineInputs, text, type PipelineInputs } from '../../shared/src/inputs.js';

export interface BenchmarkSettings extends PipelineInputs {
  /** bench.json of the production model, for changes and change gates. */
  baseline: string | undefined;
  /** The report the Benchmark section is added to. */
  report: string;
}

export function readSettings(): BenchmarkSettings {
  return {
    ...pipelineInputs(),
    baseline: text('baseline') || undefined,
    report: text('report', 'reports/report.md'),
  };
}
