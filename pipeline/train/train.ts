/**
 * The train stage: fit preprocessing on the training rows, then train the network
 * mlops.yaml describes, or every trial of its search keeping the best on the
 * validation split.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Config, ModelConfig } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import type { Split } from '../data/split.js';
import { column, takeRows } from '../data/table.js';
import { PipelineError } from '../errors.js';
import { evaluateNetwork, type Evaluation } from '../evaluate/evaluate.js';
import {
  encodeTarget,
  fitPreprocess,
  transformTable,
  type Preprocess,
} from '../prepare/preprocess.js';
import { runSearch, type TrialRecord } from '../search/search.js';
import { trialModel, trialParams, type TrialParams } from '../search/space.js';
import { DivergedError, type EpochLog, type TrainingSet } from './fit.js';
import { trainerFor } from './trainers/registry.js';
import type {
  EngineChoice,
  ResolvedTrainer,
  TrainerLineage,
  TrainerResult,
} from './trainers/types.js';

export interface TrainInput {
  config: Config;
  dataset: Dataset;
  split: Split;
  /** Called after every epoch; `trial` is set during a search (1-based). */
  onEpoch?: (log: EpochLog, epochs: number, trial?: number) => void | Promise<void>;
  onTrial?: (trial: TrialRecord, trials: number) => void;
  /** Stops training (and a search between and within trials), throwing the signal's reason. */
  signal?: AbortSignal;
  /** The folder of mlops.yaml, where a model module is found; the working directory when omitted. */
  dir?: string;
  /** The engine asked for: the one the model version was computed with (run/context.ts). */
  engine?: EngineChoice;
}

export interface TrainOutcome {
  network: tfl.LayersModel;
  preprocess: Preprocess;
  /** The model settings that were kept (the best trial's, when searching). */
  model: ModelConfig;
  fit: Omit<TrainerResult, 'network' | 'lineage'>;
  /** What trained the kept model (metadata.ts records it). */
  trainer: TrainerLineage;
  trials: TrialRecord[];
  validation: Evaluation;
  rows: { train: number; validation: number; test: number };
}

function trainingSet(pre: Preprocess, table: ReturnType<typeof takeRows>): TrainingSet {
  return { x: transformTable(pre, table), y: encodeTarget(pre, table), rows: table.rowCount };
}

/** The config key a trial's setting comes from: the search space when it is searched. */
function keyOf(name: string, params: TrialParams): string {
  return name in params ? `search.space.${name}` : `model.${name}`;
}

/**
 * Every numeric value the model sees is standardised with the training rows' mean
 * and standard deviation into float32: a value that overflows there (1e308, or
 * an `inf` in a CSV) would turn the loss or the metrics into NaN.
 */
function checkScale(pre: Preprocess, dataset: Dataset): void {
  const numeric = pre.features.flatMap((f) => (f.type === 'numeric' ? [f] : []));
  if (pre.target.task === 'regression') numeric.push({ ...pre.target, type: 'numeric' });
  const file = dataset.source.path;
  for (const f of numeric) {
    if (!Number.isFinite(f.mean) || !Number.isFinite(f.std))
      throw new PipelineError(
        'data',
        `${file}: column "${f.name}": its values are too large to standardise (their mean is ${f.mean}, their standard deviation ${f.std})`,
        { hint: 'Rescale the column, or bound it with min/max in data.features.' },
      );
    const values = (column(dataset.table, f.name) as { values: Float64Array }).values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isNaN(v) && !Number.isFinite(Math.fround((v - f.mean) / f.std)))
        throw new PipelineError(
          'data',
          `${file}: row ${dataset.table.rowNumbers[i]}, column "${f.name}": ${v} is too far from the training rows (mean ${f.mean}, standard deviation ${f.std}) for the model to take`,
          { hint: 'Fix or drop the row, or bound the column with min/max in data.features.' },
        );
    }
  }
}

function divergedError(
  error: DivergedError,
  model: ModelConfig,
  params: TrialParams,
  trial?: { number: number; of: number },
): PipelineError {
  const key = keyOf('learning_rate', params);
  const where = trial
    ? `search trial ${trial.number} of ${trial.of} (${JSON.stringify(params)})`
    : 'training';
  return new PipelineError(
    'config',
    `${key}: ${where} diverged with learning_rate ${model.learning_rate} (${model.optimizer}): the loss became ${error.loss} in epoch ${error.epoch}; nothing was saved`,
    {
      hint:
        'learning_rate' in params
          ? `Take the values that diverge out of ${key}.`
          : `Lower ${key}; the default is 0.01.`,
      cause: error,
    },
  );
}

export async function train(input: TrainInput): Promise<TrainOutcome> {
  const { config, dataset, split } = input;
  const trainRows = takeRows(dataset.table, split.train);
  const valRows = takeRows(dataset.table, split.validation);
  const preprocess = fitPreprocess(trainRows, config, dataset.classes);
  checkScale(preprocess, dataset);
  const outputs = config.model.task === 'classification' ? dataset.classes.length : 1;
  const search = config.search;
  const combos = search ? trialParams(search, config.split.seed) : [];
  const candidates = search
    ? combos.map((params) => ({ params, model: trialModel(config.model, params) }))
    : [{ params: {}, model: config.model }];
  // Every trial is checked before the first one trains.
  const sizes = { train: split.train.length, validation: split.validation.length };
  const dir = input.dir ?? process.cwd();
  const trainers = new Map<string, ResolvedTrainer>();
  for (const kind of new Set(candidates.map((c) => c.model.kind)))
    trainers.set(kind, await trainerFor(kind, dir));
  const trainerOf = (model: ModelConfig) => trainers.get(model.kind)!;
  for (const c of candidates)
    trainerOf(c.model).check?.(c.model, preprocess.inputSize, outputs, sizes, (name) =>
      keyOf(name, c.params),
    );
  const trainSet = trainingSet(preprocess, trainRows);
  const valSet = trainingSet(preprocess, valRows);

  const runOne = async (model: ModelConfig, params: TrialParams, trial?: number) => {
    let fit: TrainerResult;
    try {
      fit = await trainerOf(model).fit({
        model,
        seed: config.split.seed,
        inputSize: preprocess.inputSize,
        preprocess,
        outputs,
        train: trainSet,
        validation: valSet,
        dir,
        engine: input.engine,
        onEpoch: (log, epochs) => input.onEpoch?.(log, epochs, trial),
        signal: input.signal,
      });
    } catch (error) {
      if (!(error instanceof DivergedError)) throw error;
      throw divergedError(
        error,
        model,
        params,
        trial ? { number: trial, of: candidates.length } : undefined,
      );
    }
    return { fit, validation: evaluateNetwork(fit.network, preprocess, valRows), model };
  };

  const rows = {
    train: split.train.length,
    validation: split.validation.length,
    test: split.test.length,
  };
  if (!search) {
    const { fit, validation, model } = await runOne(config.model, {});
    const { network, lineage, ...rest } = fit;
    return {
      network,
      preprocess,
      model,
      fit: rest,
      trainer: lineage,
      trials: [],
      validation,
      rows,
    };
  }

  const searched = await runSearch(
    search,
    candidates.map((c) => c.params),
    async (params, i) => {
      const result = await runOne(candidates[i]!.model, params, i + 1);
      return {
        ...result,
        valLosses: result.fit.history.map((h) => h.val_loss),
        metrics: result.validation.metrics,
        bestEpoch: result.fit.bestEpoch,
        seconds: result.fit.seconds,
        release: () => result.fit.network.dispose(),
      };
    },
    input.onTrial,
  );
  const best = searched.best;
  const trials = searched.trials;
  const { network, lineage, ...rest } = best.fit;
  return {
    network,
    preprocess,
    model: best.model,
    fit: rest,
    trainer: lineage,
    trials,
    validation: best.validation,
    rows,
  };
}
