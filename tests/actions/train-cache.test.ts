/**
 * The train action and the Actions cache, through @actions/cache's own client
 * talking HTTP to a local cache service: a warm cache with unchanged inputs
 * restores the model and skips training; any input that changes the model's
 * content hash trains again.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { makeRepository } from './helpers/fixture.js';
import { runAction } from './helpers/run-action.js';

describe('train with the Actions cache', () => {
  let cache: CacheServer;
  const checkouts: string[] = [];

  beforeAll(async () => {
    cache = await startCacheServer();
  });
  afterAll(async () => {
    await cache?.close();
    for (const dir of checkouts) await rm(dir, { recursive: true, force: true });
  });

  /** Every run gets a fresh checkout, as a new job on a new runner does. */
  async function train(inputs: Record<string, string> = {}) {
    const workspace = await makeRepository();
    checkouts.push(workspace);
    const run = await runAction('train', { workspace, inputs, env: cache.env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    return { run, workspace };
  }

  it('skips training when the cache holds the model of unchanged inputs', async () => {
    const cold = await train();
    expect(cold.run.outputs['cache-hit']).toBe('false');
    expect(cold.run.outputs['trained']).toBe('true');
    const version = cold.run.outputs['model-version']!;
    expect(cache.entries()).toEqual([{ key: expect.stringContaining(version), finalized: true }]);

    const warm = await train();
    expect(warm.run.outputs['model-version']).toBe(version);
    expect(warm.run.outputs['cache-hit']).toBe('true');
    expect(warm.run.outputs['trained']).toBe('false');
    expect(warm.run.stdout).toContain('restored from the cache');
    expect(warm.run.summary).toContain('training skipped');
    const weights = (w: string) => readFile(join(w, 'artifacts', 'model', 'weights.bin'));
    expect(Buffer.compare(await weights(cold.workspace), await weights(warm.workspace))).toBe(0);
    expect(
      JSON.parse(await readFile(join(warm.workspace, 'reports', 'metrics.json'), 'utf8'))
        .model_version,
    ).toBe(version);
  });

  it('trains again when an override changes the model version', async () => {
    const changed = await train({ set: 'model.epochs=20' });
    expect(changed.run.outputs['cache-hit']).toBe('false');
    expect(changed.run.outputs['trained']).toBe('true');
    expect(
      cache.entries().filter((e) => e.key.includes(changed.run.outputs['model-version']!)),
    ).toHaveLength(1);
  });
});
