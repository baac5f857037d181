/**
 * The train stage from files to files: the config and its data → artifacts/model,
 * skipped when that already holds this version.
 */
import { relative } from 'node:path';
import { describeViolation } from '../data/contract.js';
import { readMetadata } from '../model/files.js';
import { loadBundle, type ModelBundle } from '../model/load.js';
import type { Metadata } from '../model/metadata.js';
import { buildProfile } from '../monitor/profile.js';
import { saveBundle } from '../package/bundle.js';
import { gitState } from '../package/lineage.js';
import { initBackend, type BackendName } from '../train/backend.js';
import { train } from '../train/train.js';
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
  const backend = await initBackend(options.backend ?? ctx.engineChoice.backend);
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
      dir: ctx.loaded.dir,
      engine: ctx.engineChoice,
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
      // The backend loaded here; for the tfjs trainer, also the one that ran model.fit.
      backend: outcome.trainer.backend ?? backend,
      trainer: outcome.trainer.trainer,
      ...(outcome.trainer.kernel ? { kernel: outcome.trainer.kernel } : {}),
      ...(outcome.trainer.files ? { model_files: outcome.trainer.files } : {}),
      ...(outcome.trainer.inputs ? { model_inputs: outcome.trainer.inputs } : {}),
      ...(outcome.trainer.layers ? { custom_layers: outcome.trainer.layers.classes } : {}),
      seed: config.split.seed,
      tfjs_version: TFJS_VERSION,
      node_version: process.versions.node,
      timings: { ...ctx.timings },
    },
  };
  const bundle = {
    network: outcome.network,
    preprocess: outcome.preprocess,
    metadata,
    ...(outcome.trainer.layers ? { layers: outcome.trainer.layers } : {}),
  };
  await saveBundle(ctx.paths.model, bundle, buildProfile(config, bundle, dataset.table, ctx.split));
  return { bundle, reused: false };
}
