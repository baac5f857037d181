/**
 * The stages as the CLI and the actions call them, each from files on disk to
 * files on disk: train → artifacts/model, evaluate → reports/metrics.json,
 * gate → the gates in metrics.json, report → reports/report.md.
 */
import { relative } from 'node:path';
import { PipelineError } from '../errors.js';
import { describeViolation } from '../data/contract.js';
import { checkClassGates } from '../data/dataset.js';
import { takeRows } from '../data/table.js';
import { evaluateNetwork } from '../evaluate/evaluate.js';
import { checkGates } from '../gate/gate.js';
import { readMetadata } from '../model/files.js';
import { loadBundle, type ModelBundle } from '../model/load.js';
import type { Metadata } from '../model/metadata.js';
import { saveBundle } from '../package/bundle.js';
import { gitState } from '../package/lineage.js';
import { renderReport, type ReportSection } from '../report/markdown.js';
import {
  readBaseline,
  readMetricsFile,
  type Baseline,
  type MetricsFile,
} from '../report/metrics-file.js';
import { initBackend, type BackendName } from '../train/backend.js';
import { train } from '../train/train.js';
import { writeFileAtomic } from '../util/files.js';
import { TFJS_VERSION, timed, type RunContext } from './context.js';
import type { RunEvents } from './events.js';

export interface TrainStageOptions {
  backend?: BackendName;
  /** Train even when artifacts/model already holds this version. */
  force?: boolean;
  events?: RunEvents;
  /** Stops training; nothing is saved. */
  signal?: AbortSignal;
}

export interface TrainStageResult {
  bundle: ModelBundle;
  /** True when artifacts/model already held this version and training was skipped. */
  reused: boolean;
}

async function existingBundle(ctx: RunContext): Promise<ModelBundle | undefined> {
  try {
    const metadata = await readMetadata(ctx.paths.model);
    if (metadata.model_version !== ctx.version) return undefined;
    return await loadBundle(ctx.paths.model);
  } catch {
    return undefined;
  }
}

export async function trainStage(
  ctx: RunContext,
  options: TrainStageOptions = {},
): Promise<TrainStageResult> {
  const backend = await initBackend(options.backend);
  if (!options.force) {
    const existing = await existingBundle(ctx);
    if (existing) {
      options.events?.stage?.(
        'train',
        `model ${ctx.version} is up to date in ${relative(process.cwd(), ctx.paths.model) || ctx.paths.model}; training skipped`,
      );
      return { bundle: existing, reused: true };
    }
  }
  const { config } = ctx.loaded;
  options.events?.stage?.(
    'train',
    `training ${config.model.kind} on ${ctx.split.train.length} rows (backend ${backend})`,
  );
  const outcome = await timed(ctx.timings, 'train', () =>
    train({
      config,
      dataset: ctx.dataset,
      split: ctx.split,
      onEpoch: (log, epochs, trial) => options.events?.epoch?.(log, epochs, trial),
      onTrial: (record, trials) => options.events?.trial?.(record, trials),
      signal: options.signal,
    }),
  );
  const git = await gitState(ctx.loaded.dir);
  const { dataset } = ctx;
  const metadata: Metadata = {
    format: 'mlops-model/1',
    name: config.name,
    model_version: ctx.version,
    task: config.model.task,
    created_at: new Date().toISOString(),
    features: config.data.features.map((f) => ({ name: f.name, type: f.type })),
    target: {
      name: config.data.target,
      ...(config.model.task === 'classification' ? { classes: dataset.classes } : {}),
    },
    params: outcome.model,
    training: {
      history: outcome.fit.history,
      best_epoch: outcome.fit.bestEpoch,
      stopped_early: outcome.fit.stoppedEarly,
      seconds: outcome.fit.seconds,
      samples_per_second: outcome.fit.samplesPerSecond,
      rows: outcome.rows,
      trials: outcome.trials,
    },
    data: {
      path: dataset.source.path,
      rows_read: dataset.source.rowsRead,
      dropped_rows: dataset.contract.droppedRows,
      unlabelled_rows: dataset.contract.unlabelledRows,
      violations: dataset.contract.violations.map(describeViolation),
    },
    validation_metrics: outcome.validation.metrics,
    lineage: {
      git_commit: git.commit,
      git_dirty: git.dirty,
      data_path: dataset.source.path,
      data_md5: dataset.source.md5,
      config_hash: ctx.loaded.hash,
      code_hash: ctx.codeHash,
      backend,
      seed: config.split.seed,
      tfjs_version: TFJS_VERSION,
      node_version: process.versions.node,
      timings: { ...ctx.timings },
    },
  };
  const bundle = { network: outcome.network, preprocess: outcome.preprocess, metadata };
  await saveBundle(ctx.paths.model, bundle);
  return { bundle, reused: false };
}

/** Load the saved model and check it was trained on this config, data and code. */
export async function loadCurrentBundle(
  ctx: RunContext,
  backend?: BackendName,
): Promise<ModelBundle> {
  await initBackend(backend);
  const bundle = await loadBundle(ctx.paths.model);
  if (bundle.metadata.model_version !== ctx.version)
    throw new PipelineError(
      'model',
      `${relative(process.cwd(), ctx.paths.model)} holds model ${bundle.metadata.model_version}, but the config, data and code now give ${ctx.version}`,
      { hint: 'Train it again with `mlops train`.' },
    );
  return bundle;
}

export async function evaluateStage(ctx: RunContext, bundle: ModelBundle): Promise<MetricsFile> {
  const testRows = takeRows(ctx.dataset.table, ctx.split.test);
  const evaluation = await timed(ctx.timings, 'evaluate', () =>
    evaluateNetwork(bundle.network, bundle.preprocess, testRows),
  );
  const metadata = bundle.metadata;
  const result: MetricsFile = {
    model_version: metadata.model_version,
    name: metadata.name,
    task: metadata.task,
    created_at: new Date().toISOString(),
    split: 'test',
    rows: evaluation.rows,
    metrics: evaluation.metrics,
    ...('confusion' in evaluation.detail
      ? { confusion: evaluation.detail.confusion, classes: metadata.target.classes }
      : {}),
    gates: [],
    passed: null,
    baseline: null,
  };
  // The test metrics go to reports/metrics.json alone: the bundle stays as trained.
  await writeFileAtomic(ctx.paths.metrics, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

export async function gateStage(
  ctx: Pick<RunContext, 'loaded' | 'paths'>,
  result: MetricsFile,
  baseline?: { path: string; data: Baseline },
): Promise<MetricsFile> {
  // A gate on a class the model does not have is the config's fault (exit 2), not a failed gate.
  if (result.classes) checkClassGates(ctx.loaded, result.classes);
  const outcome = checkGates(ctx.loaded.config.gates, result.metrics, baseline?.data.metrics);
  const gated: MetricsFile = {
    ...result,
    gates: outcome.gates,
    passed: outcome.passed,
    baseline: baseline
      ? { model_version: baseline.data.model_version ?? null, path: baseline.path }
      : null,
  };
  await writeFileAtomic(ctx.paths.metrics, `${JSON.stringify(gated, null, 2)}\n`);
  return gated;
}

export async function reportStage(
  ctx: Pick<RunContext, 'paths'>,
  result: MetricsFile,
  metadata: Metadata,
  baseline?: Baseline,
  sections: readonly ReportSection[] = [],
): Promise<string> {
  // After a retrain without evaluate, the two files describe different models;
  // a report of one's metrics under the other's lineage would mislead review.
  if (result.model_version !== metadata.model_version)
    throw new PipelineError(
      'model',
      `${relative(process.cwd(), ctx.paths.metrics) || ctx.paths.metrics}: has the metrics of model ${result.model_version}, but ${relative(process.cwd(), ctx.paths.model) || ctx.paths.model} holds model ${metadata.model_version}`,
      { hint: 'Score the saved model with `mlops evaluate` first.' },
    );
  const markdown = renderReport({ result, metadata, baseline, sections });
  await writeFileAtomic(ctx.paths.report, markdown);
  return markdown;
}

export async function readBaselineFile(
  path: string | undefined,
): Promise<{ path: string; data: Baseline } | undefined> {
  return path ? { path, data: await readBaseline(path) } : undefined;
}

export { readMetricsFile, readMetadata };
