/**
 * A gs:// remote through the real @google-cloud/storage client against
 * fake-gcs-server (a GCS emulator), behind a proxy that injects the faults an
 * emulator cannot produce on cue (5xx, 429, dropped and cut connections).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import { pullData, pushData, type SyncOptions } from '../../pipeline/data/sync.js';
import { PipelineError } from '../../pipeline/errors.js';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';
import { startGcsFaultProxy, type GcsFaultProxy } from '../support/gcs-fault-proxy.js';

let dir: string;
let emulator: GcsEmulator;
/** The emulator behind the fault-injecting proxy: the client is given `gcs.endpoint`. */
let gcs: GcsFaultProxy;
let ws: Workspace;
let options: SyncOptions;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcs-remote-'));
  emulator = await startGcsEmulator(['team-data']);
  gcs = await startGcsFaultProxy(emulator.endpoint);
  await mkdir(join(dir, '.dvc'));
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = cloud\n[\'remote "cloud"\']\n    url = gs://team-data/dvcstore\n',
  );
  await mkdir(join(dir, 'data', 'images', 'sub'), { recursive: true });
  await writeFile(join(dir, 'data', 'rows.csv'), 'id,x\n1,2\n');
  await writeFile(join(dir, 'data', 'images', 'a.bin'), Buffer.alloc(3000, 7)); // above the resumable threshold below
  await writeFile(join(dir, 'data', 'images', 'sub', 'b.txt'), 'b');
  ws = await openWorkspace(dir);
  await addData(ws, join(dir, 'data', 'rows.csv'));
  await addData(ws, join(dir, 'data', 'images'));
  options = {
    access: {
      gcs: {
        apiEndpoint: gcs.endpoint,
        projectId: 'test',
        resumableAbove: 1024,
        requestTimeout: 1000,
      },
    },
    retries: 3,
    minTimeout: 5,
    stallTimeout: 500,
    uploadTimeout: 1000,
    jobs: 2,
  };
});

afterEach(async () => {
  await gcs.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function freshClone(): Promise<void> {
  await rm(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
  await rm(join(dir, 'data', 'rows.csv'));
  await rm(join(dir, 'data', 'images'), { recursive: true });
}

describe('gs:// remote through @google-cloud/storage', () => {
  it('pushes every object (multipart and resumable) through 503s and dropped connections, then skips them on the next push', async () => {
    // One object: its presence is asked with a metadata request.
    gcs.faults.push({ method: 'GET', path: /\/o\/dvcstore%2Ffiles/, action: 503 });
    const rows = await resolveTargets(ws, [join(dir, 'data', 'rows.csv')]);
    expect(await pushData(ws, rows, options)).toMatchObject({ transferred: 1, skipped: 0 });
    expect(
      gcs.log.some((l) =>
        /^GET \/storage\/v1\/b\/team-data\/o\/dvcstore%2Ffiles%2Fmd5%2F.*-> 503$/.test(l),
      ),
    ).toBe(true);
    // Several: one listing per two-hex folder.
    gcs.faults.push({ method: 'GET', path: /\/o\?prefix=/, action: 503 });
    gcs.faults.push({ method: 'POST', path: /uploadType=multipart/, action: 503 });
    gcs.faults.push({ method: 'POST', path: /uploadType=multipart/, action: 'reset' });
    gcs.faults.push({ method: 'PUT', path: /uploadType=resumable/, action: 'reset' });
    const pointers = await resolveTargets(ws, []);
    const first = await pushData(ws, pointers, options);
    expect(first).toMatchObject({ remote: 'gs://team-data/dvcstore', transferred: 3, skipped: 1 });
    expect(gcs.log.filter((l) => l.endsWith('-> 503'))).toHaveLength(3);
    expect(gcs.log.filter((l) => l.endsWith('-> reset'))).toHaveLength(2);
    expect(gcs.log.some((l) => l.includes('uploadType=resumable'))).toBe(true);
    expect(gcs.log.some((l) => l.includes('uploadType=multipart'))).toBe(true);
    const rowsOid = pointers.find((p) => p.out.path === 'rows.csv')!.out.md5;
    const [stored] = await emulator.storage
      .bucket('team-data')
      .file(`dvcstore/${objectKey(rowsOid)}`)
      .download();
    expect(stored.toString()).toBe('id,x\n1,2\n');

    const uploadsBefore = gcs.log.filter((l) => l.startsWith('POST /upload')).length;
    const second = await pushData(ws, pointers, options);
    expect(second).toMatchObject({ transferred: 0, skipped: 4 });
    expect(gcs.log.filter((l) => l.startsWith('POST /upload')).length).toBe(uploadsBefore);
  });

  it('pulls into a fresh clone through cut and dropped connections and a 429, and checks out identical data', async () => {
    await pushData(ws, await resolveTargets(ws, []), options);
    await freshClone();
    gcs.faults.push({ method: 'GET', path: /alt=media/, action: 'cut' });
    gcs.faults.push({ method: 'GET', path: /alt=media/, action: 'reset' });
    gcs.faults.push({ method: 'GET', path: /alt=media/, action: 429 });
    const result = await pullData(ws, await resolveTargets(ws, []), options);
    expect(result.transferred).toBe(4);
    expect(gcs.faults).toEqual([]);
    expect(gcs.log.filter((l) => / -> (cut|reset|429)$/.test(l))).toHaveLength(3);
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe('id,x\n1,2\n');
    expect(await readFile(join(dir, 'data', 'images', 'sub', 'b.txt'), 'utf8')).toBe('b');
    expect(
      (await readFile(join(dir, 'data', 'images', 'a.bin'))).equals(Buffer.alloc(3000, 7)),
    ).toBe(true);
  });

  describe('an answer that does not come in time', () => {
    let rows: Awaited<ReturnType<typeof resolveTargets>>;
    /** A 3 s --timeout: 1 s a request, and a download cut when no byte comes for 0.5 s. */
    let slow: SyncOptions;
    const media = () => gcs.log.filter((l) => l.startsWith('GET ') && l.includes('alt=media'));

    beforeEach(async () => {
      rows = await resolveTargets(ws, [join(dir, 'data', 'rows.csv')]);
      await pushData(ws, rows, options);
      await freshClone();
      // No requestTimeout of its own: the request's share comes from the --timeout.
      slow = { ...options, access: { gcs: { ...options.access!.gcs }, timeout: 3000 } };
      delete slow.access!.gcs!.requestTimeout;
    });

    it('a download held back longer than a request may wait is asked again, and the pull succeeds', async () => {
      gcs.faults.push({ method: 'GET', path: /alt=media/, action: { delay: 2500 } });
      expect(await pullData(ws, rows, slow)).toMatchObject({ transferred: 1 });
      expect(gcs.faults).toEqual([]);
      expect(media()).toHaveLength(2);
      expect(media()[0]).toMatch(/ -> delay 2500$/);
      expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe('id,x\n1,2\n');
    });

    it('is asked again even after the retries for 5xx and dropped connections are used up', async () => {
      // Three failures use up the 3 retries of transient faults; the silence that follows
      // still has its own 3 requests, and the next one is answered.
      gcs.faults.push(
        { method: 'GET', path: /alt=media/, action: 503 },
        { method: 'GET', path: /alt=media/, action: 'reset' },
        { method: 'GET', path: /alt=media/, action: 429 },
        { method: 'GET', path: /alt=media/, action: { delay: 2500 } },
      );
      expect(await pullData(ws, rows, slow)).toMatchObject({ transferred: 1 });
      expect(gcs.faults).toEqual([]);
      expect(media()).toHaveLength(5);
      expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe('id,x\n1,2\n');
    });

    it('an upload held back longer than a request may wait is sent again, and the push succeeds', async () => {
      await rm(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
      await writeFile(join(dir, 'data', 'rows.csv'), 'id,x\n1,2\n3,4\n');
      ws = await openWorkspace(dir);
      await addData(ws, join(dir, 'data', 'rows.csv'));
      rows = await resolveTargets(ws, [join(dir, 'data', 'rows.csv')]);
      gcs.log.length = 0;
      gcs.faults.push({ method: 'POST', path: /uploadType=multipart/, action: { delay: 2500 } });
      expect(await pushData(ws, rows, slow)).toMatchObject({ transferred: 1 });
      expect(gcs.faults).toEqual([]);
      const uploads = gcs.log.filter((l) => l.startsWith('POST /upload'));
      expect(uploads).toHaveLength(2);
      expect(uploads[0]).toMatch(/ -> delay 2500$/);
    });
  });
});

describe('gs:// remote on fake-gcs-server, no fault injected', () => {
  beforeEach(() => {
    options.access!.gcs!.apiEndpoint = emulator.endpoint;
  });

  it('pushes every object (multipart and resumable), skips them on the next push, and pulls identical data into a fresh clone', async () => {
    const pointers = await resolveTargets(ws, []);
    expect(await pushData(ws, pointers, options)).toMatchObject({ transferred: 4, skipped: 0 });
    expect(await pushData(ws, pointers, options)).toMatchObject({ transferred: 0, skipped: 4 });
    const [files] = await emulator.storage.bucket('team-data').getFiles({ prefix: 'dvcstore/' });
    expect(files.map((f) => f.name).every((n) => n.startsWith('dvcstore/files/md5/'))).toBe(true);
    expect(files).toHaveLength(4);
    await freshClone();
    expect(await pullData(ws, pointers, options)).toMatchObject({ transferred: 4 });
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe('id,x\n1,2\n');
    expect(await readFile(join(dir, 'data', 'images', 'sub', 'b.txt'), 'utf8')).toBe('b');
    expect(
      (await readFile(join(dir, 'data', 'images', 'a.bin'))).equals(Buffer.alloc(3000, 7)),
    ).toBe(true);
  });

  it('refuses a corrupted object, naming it, and leaves nothing half-written', async () => {
    const pointers = await resolveTargets(ws, []);
    await pushData(ws, pointers, options);
    await freshClone();
    const rowsOid = pointers.find((p) => p.out.path === 'rows.csv')!.out.md5;
    const name = `dvcstore/${objectKey(rowsOid)}`;
    await emulator.storage.bucket('team-data').file(name).save('id,x\n1,3\n', { resumable: false });
    const error = await pullData(
      ws,
      [pointers.find((p) => p.out.path === 'rows.csv')!],
      options,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain(
      `gs://team-data/dvcstore/${objectKey(rowsOid)}: corrupt object`,
    );
    await expect(readFile(join(dir, 'data', 'rows.csv'))).rejects.toThrow(/ENOENT/);
    const cacheFolder = join(dir, '.dvc', 'cache', 'files', 'md5', rowsOid.slice(0, 2));
    expect(await readdir(cacheFolder).catch(() => [])).toEqual([]);
  });

  it('names an object missing from the bucket and says how to fix it', async () => {
    await freshClone();
    const error = await pullData(ws, await resolveTargets(ws, []), options).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('remote');
    expect((error as PipelineError).message).toMatch(
      /gs:\/\/team-data\/dvcstore\/files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}\.dir: Not Found/,
    );
    expect((error as PipelineError).hint).toMatch(/mlops data push/);
  });
});
