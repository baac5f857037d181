/**
 * A trainer: what turns the prepared rows into a tfjs LayersModel for one
 * `model.kind`. train.ts, search and the run stages know only this interface;
 * registry.ts maps each kind to its trainer.
 */
import type { ModelConfig } from '../../config/schema.js';
import type { Preprocess } from '../../prepare/preprocess.js';
import type { EpochLog, FitResult, TrainingSet } from '../fit.js';

export interface TrainerInput {
  model: ModelConfig;
  seed: number;
  inputSize: number;
  /** The preprocessing fitted on the training split: what each input slot holds. */
  preprocess: Preprocess;
  /** Classes for classification, 1 for regression. */
  outputs: number;
  train: TrainingSet;
  validation: TrainingSet;
  /** The folder of mlops.yaml: where a model module's path is resolved. */
  dir: string;
  onEpoch?: (log: EpochLog, epochs: number) => void | Promise<void>;
  /** Stops training, throwing the signal's reason. */
  signal?: AbortSignal;
}

/** What the lineage records about the trainer that ran (metadata.ts). */
export interface TrainerLineage {
  trainer: 'dense' | 'tfjs';
  /** The dense engine's matrix kernel. */
  kernel?: 'wasm-simd' | 'js';
  /** The tfjs backend that ran model.fit. */
  backend?: string;
  /** Files of the repository, relative to mlops.yaml's folder, that define the model. */
  files?: string[];
}

export interface TrainerResult extends FitResult {
  lineage: TrainerLineage;
}

/** Where a size check's message points: the search space key when it is searched. */
export type KeyOf = (name: string) => string;

export interface Trainer {
  /**
   * Refuses, before anything trains, a model over the limits (limits.ts);
   * called for every trial of a search before the first one trains.
   */
  check?(
    model: ModelConfig,
    inputSize: number,
    outputs: number,
    rows: { train: number; validation: number },
    keyOf: KeyOf,
  ): void;
  fit(input: TrainerInput): Promise<TrainerResult>;
  /**
   * Files beside mlops.yaml where the model is defined, whose imports are
   * followed into the model version (package/training-code.ts).
   */
  codeEntries?(model: ModelConfig): string[];
}
