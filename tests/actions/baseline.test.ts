/**
 * The production baseline: a default-branch run whose gates pass saves its
 * metrics to the Actions cache, and a later pull request run restores them, so
 * its report shows deltas and its change gates (max_drop) are checked.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { defaultBranchRef, pullRequestEvent, pushEvent, writeEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { REPO_ROOT, runAction } from './helpers/run-action.js';

describe('the production baseline', () => {
  let cache: CacheServer;
  let events: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    cache = await startCacheServer();
    events = await mkdtemp(join(tmpdir(), 'mlops-event-'));
  });
  afterAll(async () => {
    await cache?.close();
    for (const dir of [events, ...dirs]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function trainAndGate(env: Record<string, string>, edits: Record<string, string> = {}) {
    const workspace = await makeRepository(edits);
    dirs.push(workspace);
    const train = await runAction('train', { workspace, env: { ...cache.env, ...env } });
    expect(train.code, train.stdout).toBe(0);
    const gates = await runAction('validate-threshold', {
      workspace,
      env: { ...cache.env, ...env },
    });
    return { workspace, train, gates };
  }

  it('is saved by the default branch and compared with by pull requests', async () => {
    const push = pushEvent('1'.repeat(40));
    const main = await trainAndGate({
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: defaultBranchRef(push),
      GITHUB_RUN_ID: '100',
      GITHUB_EVENT_PATH: await writeEvent(events, push),
    });
    expect(main.gates.code).toBe(0);
    const mainVersion = main.train.outputs['model-version']!;
    expect(main.gates.outputs['baseline-key']).toBe(
      `mlops-baseline-penguins-species-100-${mainVersion}`,
    );

    // The pull request trains a different model (fewer epochs) and gates it against main's.
    const prEvent = pullRequestEvent('opened', {
      number: 4,
      sha: '2'.repeat(40),
      branch: 'b',
      repo: 'Codertocat/Hello-World',
    });
    const dir = await mkdtemp(join(events, 'pr-'));
    const pr = await trainAndGate(
      {
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_REF: 'refs/pull/4/merge',
        GITHUB_RUN_ID: '101',
        GITHUB_EVENT_PATH: await writeEvent(dir, prEvent),
      },
      {},
    );
    expect(pr.gates.outputs['baseline-version']).toBe(mainVersion);
    expect(pr.gates.outputs['baseline-key']).toBeUndefined();
    expect(pr.gates.summary).toContain(`Baseline: production model \`${mainVersion}\``);
    expect(pr.gates.stdout).toMatch(/pass {2}accuracy drops at most 0.02 vs baseline/);
    // Pull requests never overwrite production's baseline.
    expect(cache.entries().filter((e) => e.key.startsWith('mlops-baseline-'))).toHaveLength(1);
  });

  it('the bundled train action gives a model the version the CLI gives', async () => {
    const workspace = await makeRepository();
    dirs.push(workspace);
    const action = await runAction('train', { workspace, inputs: { cache: 'false' } });
    const cli = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'mlops.js'), 'train', '--quiet'],
      {
        cwd: workspace,
      },
    );
    expect(cli.stderr).toContain(`model ${action.outputs['model-version']} in artifacts/model`);
  });
});
