import { PipelineError } from '../../../pipeline/errors.js';
import { BACKENDS, type BackendName } from '../../../pipeline/train/backend.js';
import { flag, lines, text } from '../../shared/src/inputs.js';

export interface TrainSettings {
  config: string;
  overrides: string[];
  backend?: BackendName;
  cache: boolean;
  force: boolean;
}

export function readSettings(): TrainSettings {
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
    cache: flag('cache', true),
    force: flag('force', false),
  };
}
