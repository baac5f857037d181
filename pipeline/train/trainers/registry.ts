/**
 * Which trainer makes a model of each `model.kind`. The record is typed by the
 * schema's kinds, so a kind added to the schema without a trainer does not compile.
 */
import type { ModelConfig } from '../../config/schema.js';
import { PipelineError } from '../../errors.js';
import { denseTrainer } from './dense.js';
import { tfjsTrainer } from './tfjs.js';
import type { Trainer } from './types.js';

const TRAINERS: Record<ModelConfig['kind'], Trainer> = {
  linear: denseTrainer,
  mlp: denseTrainer,
  tfjs: tfjsTrainer,
};

export const TRAINER_KINDS = Object.keys(TRAINERS);

export function trainerFor(kind: string): Trainer {
  if (!Object.hasOwn(TRAINERS, kind))
    throw new PipelineError(
      'config',
      `model.kind: no trainer for "${kind}"; expected one of ${TRAINER_KINDS.join(', ')}`,
    );
  return TRAINERS[kind as ModelConfig['kind']];
}
