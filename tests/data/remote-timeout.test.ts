/**
 * A remote that accepts connections and never answers: every request has a
 * deadline, and the transfer gives up in bounded time with a remote error that
 * names the endpoint and the object, instead of waiting minutes in silence.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectKey } from '../../pipeline/data/dvc/odb.js';
import {
  addData,
  openWorkspace,
  resolveTargets,
  type Workspace,
} from '../../pipeline/data/dvc/workspace.js';
import { pullData, pushData } from '../../pipeline/data/sync.js';
import { PipelineError } from '../../pipeline/errors.js';
import { runMlops } from '../helpers/project.js';
import { startSilentServer, type SilentServer } from '../storage/silent-server.js';

let dir: string;
let ws: Workspace;
let silent: SilentServer;
let endpoint: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-timeout-'));
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = cloud\n[\'remote "cloud"\']\n    url = gs://team-data/store\n',
  );
  await writeFile(join(dir, 'data', 'rows.csv'), 'id,x\n1,2\n');
  ws = await openWorkspace(dir);
  await addData(ws, join(dir, 'data', 'rows.csv'));
  silent = await startSilentServer();
  endpoint = silent.url;
});

afterEach(async () => {
  await silent.close();
  await rm(dir, { recursive: true, force: true });
});

const access = () => ({ gcs: { apiEndpoint: endpoint, projectId: 'test' }, timeout: 1500 });

async function timed(work: Promise<unknown>): Promise<{ error: PipelineError; ms: number }> {
  const start = Date.now();
  const error = await work.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineError);
  return { error: error as PipelineError, ms: Date.now() - start };
}

describe('a remote that never answers', () => {
  it('push gives up within the deadline, naming the endpoint and the object', async () => {
    const [pointer] = await resolveTargets(ws, []);
    const { error, ms } = await timed(pushData(ws, [pointer!], { access: access() }));
    expect(error.code).toBe('remote');
    expect(error.message).toContain(
      `gs://team-data/store/${objectKey(pointer!.out.md5)}: no answer from ${endpoint} (3 requests, 0.5 s each)`,
    );
    expect(error.hint).toMatch(/--timeout SECONDS or set MLOPS_REMOTE_TIMEOUT/);
    expect(ms).toBeLessThan(15_000);
    expect(silent.connections()).toBeGreaterThanOrEqual(3);
  }, 30_000);

  it('pull gives up within the deadline, naming the endpoint and the object', async () => {
    const [pointer] = await resolveTargets(ws, []);
    await rm(join(dir, '.dvc', 'cache'), { recursive: true });
    await rm(join(dir, 'data', 'rows.csv'));
    const { error, ms } = await timed(pullData(ws, [pointer!], { access: access() }));
    expect(error.code).toBe('remote');
    expect(error.message).toContain(
      `gs://team-data/store/${objectKey(pointer!.out.md5)}: no answer from ${endpoint}`,
    );
    expect(ms).toBeLessThan(15_000);
  }, 30_000);

  it('mlops data pull --timeout bounds it from the command line, exit 2', async () => {
    await rm(join(dir, '.dvc', 'cache'), { recursive: true });
    await rm(join(dir, 'data', 'rows.csv'));
    process.env['MLOPS_GCS_ENDPOINT'] = endpoint;
    try {
      const pull = await runMlops(['data', 'pull', '--timeout', '2'], { cwd: dir });
      expect(pull.code).toBe(2);
      expect(pull.stderr).toContain(`no answer from ${endpoint} (3 requests, 0.7 s each)`);
      const bad = await runMlops(['data', 'pull', '--timeout', '0'], { cwd: dir });
      expect([bad.code, bad.stderr]).toEqual([
        2,
        expect.stringContaining('--timeout 0: expected a number of seconds from 1 to 3600'),
      ]);
    } finally {
      delete process.env['MLOPS_GCS_ENDPOINT'];
    }
  }, 120_000);
});
