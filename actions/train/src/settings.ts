import { flag, pipelineInputs, text, type PipelineInputs } from '../../shared/src/inputs.js';

export interface TrainSettings extends PipelineInputs {
  cache: boolean;
  force: boolean;
  /** A git revision whose data the report compares this data with (the base of a pull request). */
  dataBase?: string;
}

export function readSettings(): TrainSettings {
  return {
    ...pipelineInputs(),
    cache: flag('cache', true),
    force: flag('force', false),
    dataBase: text('data-base') || undefined,
  };
}
