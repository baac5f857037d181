import { pipelineInputs, secret, text, type PipelineInputs } from '../../shared/src/inputs.js';

export interface BenchmarkSettings extends PipelineInputs {
  /** A bench.json to compare with; when absent, the production record's. */
  baseline: string | undefined;
  /** Reads refs/mlops/production from origin (a checkout keeps no credentials). */
  githubToken: string | undefined;
  /** The report the Benchmark section is added to. */
  report: string;
}

export function readSettings(): BenchmarkSettings {
  return {
    ...pipelineInputs(),
    baseline: text('baseline') || undefined,
    githubToken: secret('github-token') || undefined,
    report: text('report', 'reports/report.md'),
  };
}
