/**
 * The production baseline travels through the Actions cache as one small file:
 * saved by default-branch runs whose gates pass, restored by pull request runs
 * under the newest key with the pipeline's prefix.
 */
import * as core from '@actions/core';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { baselineKeyPrefix, cacheAvailable, restore, save } from '../../shared/src/cache.js';

/** Relative to the workspace, so the key's version hash is the same on every runner. */
const BASELINE_DIR = '.mlops/baseline';

export async function restoreBaseline(name: string): Promise<string | undefined> {
  if (!cacheAvailable()) return undefined;
  const prefix = baselineKeyPrefix(name);
  const matched = await restore([BASELINE_DIR], prefix, [prefix]);
  if (!matched) {
    core.info(`no production baseline in the cache (keys ${prefix}*)`);
    return undefined;
  }
  core.info(`production baseline restored from the cache key ${matched}`);
  return join(BASELINE_DIR, 'metrics.json');
}

export async function saveBaseline(
  name: string,
  metricsPath: string,
  modelVersion: string,
): Promise<string | undefined> {
  if (!cacheAvailable()) return undefined;
  await mkdir(BASELINE_DIR, { recursive: true });
  await copyFile(metricsPath, join(BASELINE_DIR, 'metrics.json'));
  // The run id keeps keys unique and ordered, so a model that returns gets a new entry.
  const key = `${baselineKeyPrefix(name)}${process.env['GITHUB_RUN_ID'] ?? Date.now()}-${modelVersion}`;
  return (await save([BASELINE_DIR], key)) ? key : undefined;
}
