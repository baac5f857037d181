/**
 * The GitHub Actions cache, for a trained model, keyed on everything that
 * decides its weights. (What production is lives in the production record on
 * refs/mlops/production, never here: cache entries expire and are per branch.)
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

export async function restore(paths: string[], key: string) {
  return cache.restoreCache(paths, key);
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
