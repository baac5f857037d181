/**
 * The GitHub Actions cache, for the two things worth keeping between runs: a
 * trained model, keyed on everything that decides its weights, and the
 * production baseline, which runs on the default branch save and pull request
 * runs restore (a pull request can read its base branch's caches).
 */
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../../pipeline/util/hash.js';

export function cacheAvailable(): boolean {
  return cache.isFeatureAvailable();
}

/** The workspace lockfile: a dependency bump can change what training produces. */
export function lockfileHash(workspace: string): string {
  for (const name of ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']) {
    const path = join(workspace, name);
    if (existsSync(path)) return sha256Hex(readFileSync(path)).slice(0, 12);
  }
  return 'nolock';
}

export function modelCacheKey(name: string, version: string, lockHash: string): string {
  return `mlops-model-${name}-${version}-${lockHash}`;
}

/** Every baseline key starts with this; the newest one wins a prefix restore. */
export function baselineKeyPrefix(name: string): string {
  return `mlops-baseline-${name}-`;
}

export async function restore(paths: string[], key: string, prefixes: string[] = []) {
  return cache.restoreCache(paths, key, prefixes);
}

/** Saving is best effort: a failed save warns and the step goes on. */
export async function save(paths: string[], key: string): Promise<boolean> {
  try {
    return (await cache.saveCache(paths, key)) !== -1;
  } catch (error) {
    core.warning(`cache save failed for ${key}: ${(error as Error).message}`);
    return false;
  }
}
