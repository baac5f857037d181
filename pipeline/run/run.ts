/** `mlops run`: every stage of the pull-request pipeline, in one process. */
import { dirname, resolve } from 'node:path';
import { benchOfModel } from '../bench/stage.js';
import type { BackendName } from '../train/backend.js';
import type { EngineChoice } from '../train/trainers/types.js';
import type { MetricsFile } from '../report/metrics-file.js';
import { dataChangesAgainst } from '../data/diff/against.js';
import type { RemoteAccess } from '../data/remote/open.js';
import { resolveBaseline } from '../production/baseline.js';
import { openRun, type RunContext } from './context.js';
import { evaluateStage } from './evaluate-stage.js';
import type { RunEvents } from './events.js';
import { gateStage } from './gate-stage.js';
import { reportStage } from './report-stage.js';
import { trainStage } from './train-stage.js';

export interface RunOptions {
  config: string;
  overrides?: readonly string[];
  /** A metrics.json to compare with, or `production`: the production record. */
  baseline?: string;
  backend?: BackendName;
  /** `js`: train the dense kinds on the JavaScript kernel even where WebAssembly SIMD loads. */
  denseKernel?: EngineChoice['denseKernel'];
  force?: boolean;
  events?: RunEvents;
  /** A git revision whose data.dvc the report compares the data with (rows, schema, drift). */
  compareDataWith?: string;
  /** How to reach a DVC remote, to pull missing data or the base revision's data. */
  remoteAccess?: RemoteAccess;
  /**
   * Stops the run: training within about 50 ms, other stages when they finish.
   * Each stage writes its files whole, so what is on disk is the old or the new.
   */
  signal?: AbortSignal;
}

export interface RunResult {
  context: RunContext;
  result: MetricsFile;
  reused: boolean;
  report: string;
}

export async function runPipeline(options: RunOptions): Promise<RunResult> {
  const { events, signal } = options;
  // Read everything that can be wrong before anything is written.
  const baseline = await resolveBaseline(options.baseline, dirname(resolve(options.config)));
  const context = await openRun(
    options.config,
    options.overrides,
    { remoteAccess: options.remoteAccess },
    { backend: options.backend, denseKernel: options.denseKernel },
  );
  const dataChanges = options.compareDataWith
    ? await dataChangesAgainst(context.loaded, options.compareDataWith, options.remoteAccess)
    : undefined;
  signal?.throwIfAborted();
  events?.stage?.(
    'data',
    `${context.dataset.source.path}: ${context.dataset.table.rowCount} rows (${context.split.train.length} train, ${context.split.validation.length} validation, ${context.split.test.length} test)`,
  );
  const { bundle, reused } = await trainStage(context, {
    backend: options.backend,
    force: options.force,
    events,
    signal,
  });
  try {
    signal?.throwIfAborted();
    const evaluated = await evaluateStage(context, bundle);
    signal?.throwIfAborted();
    const result = await gateStage(context, evaluated, baseline);
    const bench = await benchOfModel(context.paths, result.model_version);
    signal?.throwIfAborted();
    const report = await reportStage(context, result, bundle.metadata, baseline?.data, {
      dataChanges,
      bench,
    });
    return { context, result, reused, report };
  } finally {
    bundle.network.dispose();
  }
}
