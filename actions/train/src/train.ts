/**
 * Train, or restore the model a previous run trained on the same data, config,
 * training code and lockfile: the model version is the content hash of all of
 * them, so an equal key means equal weights.
 */
import * as core from '@actions/core';
import { fmt } from '../../../pipeline/report/markdown.js';
import { openRun } from '../../../pipeline/run/context.js';
import { evaluateStage } from '../../../pipeline/run/evaluate-stage.js';
import { trainStage } from '../../../pipeline/run/train-stage.js';
import { accessFromEnv } from '../../../pipeline/storage/access.js';
import {
  cacheAvailable,
  lockfileHash,
  modelCacheKey,
  restore,
  save,
} from '../../shared/src/cache.js';
import { workspacePath } from '../../shared/src/run.js';
import { writeDataChanges } from './data-changes.js';
import type { TrainSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

export interface TrainOutcome {
  version: string;
  cacheHit: boolean;
  trained: boolean;
  modelPath: string;
  metricsPath: string;
}

export async function trainAction(settings: TrainSettings): Promise<TrainOutcome> {
  // The remote's key, when the workflow gives one (MLOPS_GCS_CREDENTIALS), as `mlops` reads it.
  const remoteAccess = accessFromEnv(process.env);
  const ctx = await openRun(settings.config, settings.overrides, { remoteAccess });
  const { config } = ctx.loaded;
  const modelPath = workspacePath(ctx.paths.model);
  const useCache = settings.cache && !settings.force && cacheAvailable();
  const key = modelCacheKey(
    config.name,
    ctx.version,
    lockfileHash(process.env['GITHUB_WORKSPACE'] || process.cwd()),
  );
  let cacheHit = false;
  if (useCache) cacheHit = (await restore([modelPath], key)) === key;

  const { bundle, reused } = await trainStage(ctx, {
    backend: settings.backend,
    force: settings.force,
    events: { stage: (_name, detail) => core.info(detail) },
  });
  const result = await evaluateStage(ctx, bundle);
  bundle.network.dispose();
  if (useCache && !cacheHit && !reused) await save([modelPath], key);
  if (settings.dataBase) await writeDataChanges(ctx, settings.dataBase, remoteAccess);

  const trained = !reused;
  const how = cacheHit
    ? `restored from the cache (key \`${key}\`); training skipped`
    : reused
      ? `already in \`${modelPath}\`; training skipped`
      : `trained in ${bundle.metadata.training.seconds.toFixed(1)} s`;
  core.info(`model ${ctx.version}: ${how.replaceAll('`', '')}`);
  const headline = Object.entries(result.metrics).filter(([k]) => !k.includes('.'));
  await writeSummary((s) =>
    s
      .addHeading(`Model ${ctx.version}`, 3)
      .addRaw(`${how}.`, true)
      .addTable([
        [
          { data: 'Metric (test split)', header: true },
          { data: 'Value', header: true },
        ],
        ...headline.map(([k, v]) => [k, fmt(v)]),
      ]),
  );
  return {
    version: ctx.version,
    cacheHit,
    trained,
    modelPath,
    metricsPath: workspacePath(ctx.paths.metrics),
  };
}
