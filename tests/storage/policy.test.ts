/**
 * A data remote and the model registry reach a bucket through one storage
 * layer: the same retries, deadlines and credentials rule. Each behaviour is
 * checked side by side, a `mlops data pull` against a registry read, with the
 * real @google-cloud/storage client talking to fake-gcs-server through a proxy
 * that injects the faults, or to a server that never answers.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectKey } from '../../pipeline/data/dvc/odb.js';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pullData, pushData } from '../../pipeline/data/sync.js';
import { PipelineError } from '../../pipeline/errors.js';
import { openRegistry } from '../../pipeline/registry/open.js';
import type { StorageAccess } from '../../pipeline/storage/access.js';
import { MLOPS_BIN } from '../helpers/project.js';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';
import { startGcsFaultProxy, type GcsFaultProxy } from '../support/gcs-fault-proxy.js';
import { startSilentServer, type SilentServer } from './silent-server.js';

const run = promisify(execFile);
const KEY = { type: 'service_account', client_email: 'ci@p.iam.gserviceaccount.com' };
const ALIAS = 'aliases/production.json';

let dir: string;
let emulator: GcsEmulator;
/** The emulator behind the fault-injecting proxy: clients are given `gcs.endpoint`. */
let gcs: GcsFaultProxy;
let object: string;

/** Fast backoff: the number of attempts is what is checked, not the waits. */
const access = (endpoint: string, more: StorageAccess = {}): StorageAccess => ({
  gcs: { apiEndpoint: endpoint, projectId: 'test' },
  timeout: 1500,
  retry: { minTimeout: 5 },
  ...more,
});

/** The two operations side by side: a data pull of the one object, and a read of a registry record. */
async function pull(a: StorageAccess): Promise<unknown> {
  // As in a fresh clone: the object is only in the bucket.
  await rm(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
  await rm(join(dir, 'data', 'rows.csv'), { force: true });
  const ws = await openWorkspace(dir);
  return pullData(ws, await resolveTargets(ws, []), { access: a });
}

function registryRead(a: StorageAccess): Promise<unknown> {
  return openRegistry('gs://team/models', a).read(ALIAS);
}

async function failure(work: Promise<unknown>): Promise<PipelineError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

async function mlops(args: string[], env: Record<string, string>) {
  const clean = { ...process.env };
  for (const name of ['CI', 'MLOPS_GCS_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'])
    delete clean[name];
  try {
    const { stdout, stderr } = await run(process.execPath, [MLOPS_BIN, ...args], {
      cwd: dir,
      env: { ...clean, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

beforeAll(async () => {
  emulator = await startGcsEmulator(['team']);
  await emulator.storage
    .bucket('team')
    .file(`models/${ALIAS}`)
    .save('{"alias": "production"}\n', { resumable: false });
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storage-policy-'));
  gcs = await startGcsFaultProxy(emulator.endpoint);
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = cloud\n[\'remote "cloud"\']\n    url = gs://team/data\n',
  );
  await writeFile(join(dir, 'data', 'rows.csv'), 'id,x\n1,2\n');
  const ws = await openWorkspace(dir);
  const { md5 } = await addData(ws, join(dir, 'data', 'rows.csv'));
  object = `data/${objectKey(md5)}`;
  await pushData(ws, await resolveTargets(ws, []), { access: access(gcs.endpoint) });
  await rm(join(dir, '.dvc', 'cache'), { recursive: true });
  await rm(join(dir, 'data', 'rows.csv'));
  gcs.log.length = 0;
});

afterEach(async () => {
  await gcs.close();
  await rm(dir, { recursive: true, force: true });
});

describe('one retry policy', () => {
  it('a 503, a 429 and a dropped connection are retried for a data pull and a registry read alike', async () => {
    for (const work of [pull, registryRead]) {
      gcs.faults.push(
        { method: 'GET', path: /./, action: 503 },
        { method: 'GET', path: /./, action: 429 },
        { method: 'GET', path: /alt=media/, action: 'cut' },
        { method: 'GET', path: /alt=media/, action: 'reset' },
      );
      await work(access(gcs.endpoint));
      expect(gcs.faults, work.name).toEqual([]);
    }
    expect(gcs.log.filter((l) => / -> (503|429|cut|reset)$/.test(l))).toHaveLength(8);
  });

  it('a bucket that keeps answering 503 is asked 6 times (5 retries) by both, then named', async () => {
    const asked: Record<string, number> = {};
    for (const [work, name] of [
      [pull, `gs://team/${object}`],
      [registryRead, `gs://team/models/${ALIAS}`],
    ] as const) {
      gcs.log.length = 0;
      gcs.faults.push({ method: 'GET', path: /./, action: 503, times: 20 });
      const error = await failure(work(access(gcs.endpoint)));
      gcs.faults.length = 0;
      expect(error.code).toBe('remote');
      expect(error.message).toContain(`${name}: `);
      asked[work.name] = gcs.log.filter((l) => l.endsWith('-> 503')).length;
    }
    expect(asked).toEqual({ pull: 6, registryRead: 6 });
  });

  it('a refused request is not retried, and both hints name the credentials that were used', async () => {
    const hints: string[] = [];
    for (const work of [pull, registryRead]) {
      gcs.log.length = 0;
      gcs.faults.push({ method: 'GET', path: /./, action: 403 });
      const error = await failure(
        work(access(gcs.endpoint, { gcs: { apiEndpoint: gcs.endpoint, credentials: KEY } })),
      );
      expect(gcs.log).toHaveLength(1);
      hints.push(error.hint ?? '');
    }
    expect(hints[0]).toBe(
      'Check the key in MLOPS_GCS_CREDENTIALS (ci@p.iam.gserviceaccount.com): its account needs roles/storage.objectUser on the bucket.',
    );
    expect(hints[1]).toBe(hints[0]);
  });
});

describe('one deadline rule', () => {
  let server: SilentServer;
  let silent: string;

  beforeEach(async () => {
    server = await startSilentServer();
    silent = server.url;
  });

  afterEach(() => server.close());

  it('an endpoint that never answers is given up by both after 3 requests of a third of --timeout each', async () => {
    for (const [work, name] of [
      [pull, `gs://team/${object}`],
      [registryRead, `gs://team/models/${ALIAS}`],
    ] as const) {
      const before = server.connections();
      const start = Date.now();
      const error = await failure(work(access(silent)));
      expect(Date.now() - start).toBeLessThan(15_000);
      expect(error.message).toBe(`${name}: no answer from ${silent} (3 requests, 0.5 s each)`);
      expect(error.hint).toBe(
        'Check the network and the endpoint. To allow more time, pass --timeout SECONDS or set MLOPS_REMOTE_TIMEOUT (1.5 s now).',
      );
      expect(server.connections() - before).toBeGreaterThanOrEqual(3);
    }
  }, 60_000);

  it('an answer slower than a third of --timeout is given up and asked again, by both', async () => {
    for (const work of [pull, registryRead]) {
      gcs.log.length = 0;
      // 1.2 s: more than the 0.5 s each request of a 1.5 s --timeout may take.
      gcs.faults.push({ method: 'GET', path: /./, action: { delay: 1200 } });
      await work(access(gcs.endpoint));
      expect(gcs.faults, work.name).toEqual([]);
      expect(gcs.log.length, work.name).toBeGreaterThan(1);
    }
  }, 60_000);

  it('a download that stops sending is cut after the same silence and read again, by both', async () => {
    for (const work of [pull, registryRead]) {
      gcs.faults.push({ method: 'GET', path: /alt=media/, action: 'stall' });
      await work(access(gcs.endpoint));
      expect(gcs.faults).toEqual([]);
    }
    for (const work of [pull, registryRead]) {
      gcs.faults.push({ method: 'GET', path: /alt=media/, action: 'stall', times: 10 });
      const error = await failure(work(access(gcs.endpoint)));
      gcs.faults.length = 0;
      expect(error.message, work.name).toMatch(/: no data for 0\.5 s$/);
    }
  }, 60_000);

  it('mlops registry takes --timeout and MLOPS_REMOTE_TIMEOUT as mlops data does, exit 2', async () => {
    const registry = ['registry', 'list', '--registry', 'gs://team/models'];
    const flag = await mlops([...registry, '--gcs-endpoint', silent, '--timeout', '2'], {});
    const variable = await mlops(registry, {
      MLOPS_GCS_ENDPOINT: silent,
      MLOPS_REMOTE_TIMEOUT: '2',
    });
    const data = await mlops(['data', 'pull'], {
      MLOPS_GCS_ENDPOINT: silent,
      MLOPS_REMOTE_TIMEOUT: '2',
    });
    for (const result of [flag, variable, data]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`: no answer from ${silent} (3 requests, 0.7 s each)`);
    }
    expect(flag.stderr).toMatch(/^error: gs:\/\/team\/models\/\S+: no answer/);
    const bad = await mlops([...registry, '--timeout', '0'], {});
    expect([bad.code, bad.stderr]).toEqual([
      2,
      expect.stringContaining('--timeout 0: expected a number of seconds from 1 to 3600'),
    ]);
  }, 120_000);
});

describe('one credentials rule', () => {
  it('mlops data and mlops registry read the same variables, and refuse a bad one the same way', async () => {
    const commands = [
      ['data', 'pull'],
      ['registry', 'list', '--registry', 'gs://team/models'],
    ];
    const endpoint = { MLOPS_GCS_ENDPOINT: gcs.endpoint };
    for (const [env, message] of [
      [
        { MLOPS_GCS_CREDENTIALS: '{"private_key": "-----BEGIN' },
        'MLOPS_GCS_CREDENTIALS is not valid JSON',
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' },
        'GOOGLE_APPLICATION_CREDENTIALS names /nonexistent/key.json, which cannot be read',
      ],
    ] as const)
      for (const command of commands)
        expect(await mlops(command, { ...endpoint, ...env })).toMatchObject({
          code: 2,
          stderr: expect.stringContaining(`error: ${message}\n`),
        });

    // A key given as JSON is the key both use: a bucket that refuses it is named with its account.
    const keyFile = join(dir, 'key.json');
    await writeFile(keyFile, JSON.stringify(KEY));
    for (const [env, hint] of [
      [
        { MLOPS_GCS_CREDENTIALS: JSON.stringify(KEY) },
        'hint: Check the key in MLOPS_GCS_CREDENTIALS (ci@p.iam.gserviceaccount.com): its account needs roles/storage.objectUser on the bucket.',
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: keyFile },
        `hint: Check the key file ${keyFile} (GOOGLE_APPLICATION_CREDENTIALS): its account needs roles/storage.objectUser on the bucket.`,
      ],
    ] as const)
      for (const command of commands) {
        gcs.faults.push({ method: 'GET', path: /./, action: 403 });
        expect(await mlops(command, { ...endpoint, ...env })).toMatchObject({
          code: 2,
          stderr: expect.stringContaining(hint),
        });
      }
  }, 120_000);
});
