/**
 * The public entry a trainer of the team's own imports: `import { defineTrainer }
 * from 'mlops-pipeline/trainer'` in `trainers/<kind>.ts` beside mlops.yaml,
 * where `kind: <kind>` names it (docs/custom-models.md). Only types and one
 * identity function: the file is bundled into the trainer, so it must import
 * nothing at run time.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { z } from 'zod';
import type { ModelConfig } from '../../config/schema.js';
import type { EpochLog, TrainingSet } from '../fit.js';

export type { EpochLog, TrainingSet };

export interface UserTrainerInput<Params> {
  /** model.params, as the trainer's params schema reads them (defaults filled in). */
  params: Params;
  /** The whole model section: epochs, batch_size, learning_rate, optimizer, patience … */
  model: ModelConfig;
  task: 'classification' | 'regression';
  /** split.seed: seed initialisers and batch orders with it for repeatable weights. */
  seed: number;
  /** The width of one prepared row: the model takes [batch, inputSize]. */
  inputSize: number;
  /** Classes for classification (softmax outputs), 1 for regression (the standardised target). */
  outputs: number;
  /** x: rows × inputSize, row-major; y: class indices, or standardised targets. */
  train: TrainingSet;
  validation: TrainingSet;
  /** Report each epoch: the progress output shows it, and it becomes the history when fit returns none. */
  onEpoch(log: EpochLog): Promise<void>;
  /** Aborted when the run is interrupted: stop and throw its reason. */
  signal?: AbortSignal;
}

export interface UserTrainerResult {
  /** The trained model: [batch, inputSize] in, [batch, outputs] out. Saved, gated, served as any other. */
  network: tfl.LayersModel;
  /** Per-epoch losses; the logs given to onEpoch when omitted. */
  history?: EpochLog[];
  /** The epoch whose weights the network holds; the last one when omitted. */
  bestEpoch?: number;
  stoppedEarly?: boolean;
}

export interface UserTrainer<Schema extends z.ZodType = z.ZodType<Record<string, unknown>>> {
  /** A zod schema of model.params: a strictObject refuses unknown keys; its defaults fill in the rest. */
  params?: Schema;
  fit(input: UserTrainerInput<z.output<Schema>>): Promise<UserTrainerResult> | UserTrainerResult;
}

/** Types a trainer: its fit receives params as its schema reads them. */
export function defineTrainer<Schema extends z.ZodType = z.ZodType<Record<string, unknown>>>(
  trainer: UserTrainer<Schema>,
): UserTrainer<Schema> {
  return trainer;
}
