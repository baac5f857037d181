/**
 * A trainer: what turns the prepared rows into a tfjs LayersModel for one
 * `model.kind`. train.ts, search and the run stages know only this interface;
 * registry.ts maps each kind to its trainer.
 */
import type { z } from 'zod';
import type { ModelConfig } from '../../config/schema.js';
import type { CustomLayers } from '../../model/custom-layers.js';
import type { Preprocess } from '../../prepare/preprocess.js';
import type { BackendName } from '../backend-names.js';
import type { EpochLog, FitResult, TrainingSet } from '../fit.js';

/**
 * What the shell asks to train on. What loads here decides the rest: the
 * engine (Trainer.engine) is part of the model version, so two machines that
 * would compute other weights never share one.
 */
export interface EngineChoice {
  /** The TensorFlow.js backend to prefer (backend.ts). */
  backend?: BackendName;
  /** `js` makes the dense engine use its JavaScript kernel even where WebAssembly SIMD loads. */
  denseKernel?: 'wasm-simd' | 'js';
}

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
  /** The engine asked for; the same one the model version was computed with. */
  engine?: EngineChoice;
}

/** What the lineage records about the trainer that ran (metadata.ts). */
export interface TrainerLineage {
  /** `dense`, `tfjs`, or the kind of a trainer of the team's own. */
  trainer: string;
  /** The dense engine's matrix kernel. */
  kernel?: 'wasm-simd' | 'js';
  /** The tfjs backend that ran model.fit. */
  backend?: string;
  /** Files of the repository, relative to mlops.yaml's folder, that define the model. */
  files?: string[];
  /** Set when the model took one input per feature (feature-model.ts); else it took the encoded row. */
  inputs?: 'features';
  /** Layer classes of the module's own that the network uses: saved as layers.mjs beside it. */
  layers?: CustomLayers;
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
   * What will compute the gradients, known before anything trains:
   * `dense (wasm-simd)`, `dense (js)`, `tfjs (wasm)` … Part of the model
   * version. Every trainer trainerFor gives has one (registry.ts).
   */
  engine?(choice: EngineChoice): Promise<string>;
  /** The zod schema of model.params, when the trainer takes params (checked with the config's lines). */
  paramsSchema?(model: ModelConfig): Promise<z.ZodType | undefined>;
  /**
   * Files beside mlops.yaml where the model is defined, whose imports are
   * followed into the model version (package/training-code.ts).
   */
  codeEntries?(model: ModelConfig): string[];
}

/** A trainer as the registry gives it: it always says which engine it trains on. */
export type ResolvedTrainer = Trainer & Required<Pick<Trainer, 'engine'>>;
