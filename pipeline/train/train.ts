/**
 * The train stage: fit preprocessing on the training rows, then train the network
 * mlops.yaml describes, or every trial of its search keeping the best on the
 * validation split.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { higherIsBetter } from '../config/metrics.js';
import type { Config, ModelConfig } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import type { Split } from '../data/split.js';
import { takeRows } from '../data/table.js';
import { evaluateNetwork, type Evaluation } from '../evaluate/evaluate.js';
import {
  encodeTarget,
  fitPreprocess,
  transformTable,
  type Preprocess,
} from '../prepare/preprocess.js';
import { trialParams, type TrialParams } from '../search/space.js';
import { fitNetwork, type EpochLog, type FitResult, type TrainingSet } from './fit.js';

export interface TrialRecord {
  trial: number;
  params: TrialParams;
  metric: string;
  score: number;
  best_epoch: number;
  epochs_run: number;
  seconds: number;
}

export interface TrainInput {
  config: Config;
  dataset: Dataset;
  split: Split;
  /** Called after every epoch; `trial` is set during a search (1-based). */
  onEpoch?: (log: EpochLog, epochs: number, trial?: number) => void | Promise<void>;
  onTrial?: (trial: TrialRecord, trials: number) => void;
}

export interface TrainOutcome {
  network: tfl.LayersModel;
  preprocess: Preprocess;
  /** The model settings that were kept (the best trial's, when searching). */
  model: ModelConfig;
  fit: Omit<FitResult, 'network'>;
  trials: TrialRecord[];
  validation: Evaluation;
  rows: { train: number; validation: number; test: number };
}

function trainingSet(pre: Preprocess, table: ReturnType<typeof takeRows>): TrainingSet {
  return { x: transformTable(pre, table), y: encodeTarget(pre, table), rows: table.rowCount };
}

export async function train(input: TrainInput): Promise<TrainOutcome> {
  const { config, dataset, split } = input;
  const trainRows = takeRows(dataset.table, split.train);
  const valRows = takeRows(dataset.table, split.validation);
  const preprocess = fitPreprocess(trainRows, config, dataset.classes);
  const trainSet = trainingSet(preprocess, trainRows);
  const valSet = trainingSet(preprocess, valRows);
  const outputs = config.model.task === 'classification' ? dataset.classes.length : 1;

  const runOne = async (model: ModelConfig, trial?: number) => {
    const fit = await fitNetwork({
      model,
      seed: config.split.seed,
      inputSize: preprocess.inputSize,
      outputs,
      train: trainSet,
      validation: valSet,
      onEpoch: (log, epochs) => input.onEpoch?.(log, epochs, trial),
    });
    return { fit, validation: evaluateNetwork(fit.network, preprocess, valRows), model };
  };

  const rows = {
    train: split.train.length,
    validation: split.validation.length,
    test: split.test.length,
  };
  if (!config.search) {
    const { fit, validation, model } = await runOne(config.model);
    const { network, ...rest } = fit;
    return { network, preprocess, model, fit: rest, trials: [], validation, rows };
  }

  const search = config.search;
  const combos = trialParams(search, config.split.seed);
  const better = higherIsBetter(search.metric);
  const trials: TrialRecord[] = [];
  let best: (Awaited<ReturnType<typeof runOne>> & { score: number; valLoss: number }) | undefined;
  for (const [i, params] of combos.entries()) {
    const model = { ...config.model, ...params } as ModelConfig;
    const result = await runOne(model, i + 1);
    const score =
      search.metric === 'val_loss'
        ? Math.min(...result.fit.history.map((h) => h.val_loss))
        : result.validation.metrics[search.metric]!;
    const record: TrialRecord = {
      trial: i + 1,
      params,
      metric: search.metric,
      score,
      best_epoch: result.fit.bestEpoch,
      epochs_run: result.fit.history.length,
      seconds: result.fit.seconds,
    };
    trials.push(record);
    input.onTrial?.(record, combos.length);
    const valLoss = Math.min(...result.fit.history.map((h) => h.val_loss));
    // Equal scores (common for accuracy on small validation sets): the lower validation loss wins.
    const wins =
      !best ||
      (better ? score > best.score : score < best.score) ||
      (score === best.score && valLoss < best.valLoss);
    if (wins) {
      best?.fit.network.dispose();
      best = { ...result, score, valLoss };
    } else result.fit.network.dispose();
  }
  const { network, ...rest } = best!.fit;
  return {
    network,
    preprocess,
    model: best!.model,
    fit: rest,
    trials,
    validation: best!.validation,
    rows,
  };
}
