import { PipelineError } from '../../../pipeline/errors.js';
import { eventName, eventPayload } from '../../shared/src/github.js';
import { flag, lines, text } from '../../shared/src/inputs.js';

export interface ValidateSettings {
  config: string;
  overrides: string[];
  /** A metrics.json to compare with; when absent the baseline comes from the cache. */
  baseline?: string;
  useCache: boolean;
  /** Save these metrics as the production baseline when every gate passes. */
  saveBaseline: boolean;
}

/** Runs of the default branch (push, schedule, dispatch) define what production is. */
function onDefaultBranch(): boolean {
  const payload = eventPayload() as { repository?: { default_branch?: string } };
  const branch = payload.repository?.default_branch;
  return (
    !!branch &&
    process.env['GITHUB_REF'] === `refs/heads/${branch}` &&
    ['push', 'schedule', 'workflow_dispatch'].includes(eventName())
  );
}

export function readSettings(): ValidateSettings {
  const save = text('save-baseline', 'auto').toLowerCase();
  if (!['auto', 'true', 'false'].includes(save))
    throw new PipelineError(
      'usage',
      `input "save-baseline": expected auto, true or false, got "${save}"`,
    );
  return {
    config: text('config', 'mlops.yaml'),
    overrides: lines('set'),
    baseline: text('baseline') || undefined,
    useCache: flag('cache', true),
    saveBaseline: save === 'auto' ? onDefaultBranch() : save === 'true',
  };
}
