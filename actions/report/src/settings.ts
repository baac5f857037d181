import { integer, secret, text } from '../../shared/src/inputs.js';

export interface ReportSettings {
  report: string;
  token: string;
  /** Given explicitly; otherwise taken from the event. */
  prNumber?: number;
}

export function readSettings(): ReportSettings {
  // Masked first: nothing below may print it.
  const token = secret('github-token', { required: true });
  return {
    report: text('report', 'reports/report.md'),
    token,
    prNumber: integer('pr-number', undefined, { min: 1 }),
  };
}
