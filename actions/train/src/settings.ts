import { flag, pipelineInputs, type PipelineInputs } from '../../shared/src/inputs.js';

export interface TrainSettings extends PipelineInputs {
  cache: boolean;
  force: boolean;
}

export function readSettings(): TrainSettings {
  return {
    ...pipelineInputs(),
    cache: flag('cache', true),
    force: flag('force', false),
  };
}
