import { lines, secret, text } from '../../shared/src/inputs.js';

export interface ValidateSettings {
  config: string;
  overrides: string[];
  /** A metrics.json to compare with; when absent the baseline is the production record. */
  baseline?: string;
  /** Reads refs/mlops/production from origin (a checkout keeps no credentials). */
  githubToken?: string;
}

export function readSettings(): ValidateSettings {
  return {
    config: text('config', 'mlops.yaml'),
    overrides: lines('set'),
    baseline: text('baseline') || undefined,
    githubToken: secret('github-token') || undefined,
  };
}
