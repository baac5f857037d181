/**
 * Temporary files of transfers and checkouts: a pull killed half-way leaves
 * them behind, and the next pull removes them; a checkout stages its copies in
 * `.dvc/tmp` (git-ignored), never beside the data where git would see them.
 */
import { spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addData,
  openWorkspace,
  resolveTargets,
  type Workspace,
} from '../../pipeline/data/dvc/workspace.js';
import { pullData, pushData } from '../../pipeline/data/sync.js';
import { MLOPS_BIN } from '../helpers/project.js';
import { startGcsEmulator } from '../support/gcs-emulator.js';
import { startGcsFaultProxy } from '../support/gcs-fault-proxy.js';

const ROWS = 'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n4,3.5,b\n';

let dir: string;
let ws: Workspace;
let rowsOid: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-temp-'));
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data', 'images'), { recursive: true });
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = local\n[\'remote "local"\']\n    url = ../store\n[\'remote "cloud"\']\n    url = gs://team-data/store\n',
  );
  await writeFile(join(dir, 'data', 'rows.csv'), ROWS);
  await writeFile(join(dir, 'data', 'images', 'a.txt'), 'a');
  ws = await openWorkspace(dir);
  rowsOid = (await addData(ws, join(dir, 'data', 'rows.csv'))).md5;
  await addData(ws, join(dir, 'data', 'images'));
  await pushData(ws, await resolveTargets(ws, []));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function freshClone(): Promise<void> {
  await rm(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
  await rm(join(dir, 'data', 'rows.csv'));
  await rm(join(dir, 'data', 'images'), { recursive: true });
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('temporary files', () => {
  it('a pull killed mid-download leaves a temporary object in the cache, and the next pull removes it', async () => {
    // The data is in the bucket; every download of it starts and then falls silent.
    const emulator = await startGcsEmulator(['team-data']);
    const gcs = await startGcsFaultProxy(emulator.endpoint);
    const access = { gcs: { apiEndpoint: emulator.endpoint, projectId: 'test' } };
    await pushData(ws, await resolveTargets(ws, []), { remote: 'cloud', access });
    gcs.faults.push({ method: 'GET', path: /alt=media/, action: 'stall', times: Infinity });
    await freshClone();
    const folder = join(dir, '.dvc', 'cache', 'files', 'md5', rowsOid.slice(0, 2));
    const child = spawn(
      process.execPath,
      [MLOPS_BIN, 'data', 'pull', '-r', 'cloud', '-j', '1', 'data/rows.csv'],
      {
        cwd: dir,
        // Long enough that the download is not abandoned before it is killed.
        env: { ...process.env, MLOPS_GCS_ENDPOINT: gcs.endpoint, MLOPS_REMOTE_TIMEOUT: '600' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      let temps: string[] = [];
      for (let i = 0; i < 1200 && !temps.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        temps = (await readdir(folder).catch(() => [])).filter((n) => n.startsWith('.'));
      }
      expect(temps).toHaveLength(1);
      child.kill('SIGKILL');
      await exited;
      expect(await readdir(folder)).toEqual(temps); // the killed process could not clean up
    } finally {
      child.kill('SIGKILL');
      await gcs.close();
      await emulator.close();
    }
    await pullData(ws, await resolveTargets(ws, []), { remote: 'local' });
    expect(await readdir(folder)).toEqual([rowsOid.slice(2)]);
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
  }, 180_000);

  it("the next pull removes dead processes' leftovers in the cache, .dvc/tmp and beside the data, not a live one's", async () => {
    const dead = await deadPid();
    const stale = [
      join(
        dir,
        '.dvc',
        'cache',
        'files',
        'md5',
        rowsOid.slice(0, 2),
        `.${rowsOid.slice(2)}.tmp-${dead}-0123456789ab`,
      ),
      join(dir, '.dvc', 'tmp', `.checkout.tmp-${dead}-0123456789ab`, 'rows.csv'),
      join(dir, 'data', `.rows.csv.tmp-${dead}-0123456789ab`),
    ];
    const live = join(dir, 'data', `.rows.csv.tmp-${process.pid}-0123456789ab`);
    for (const file of [...stale, live]) {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, 'half a file');
    }
    await pullData(ws, await resolveTargets(ws, []));
    for (const file of stale) expect(await exists(file), file).toBe(false);
    expect(await exists(join(dir, '.dvc', 'tmp', `.checkout.tmp-${dead}-0123456789ab`))).toBe(
      false,
    );
    expect(await exists(live)).toBe(true);
  });

  it('checkout stages its copies in .dvc/tmp, which git ignores, never beside the data', async () => {
    await freshClone();
    await rm(join(dir, '.dvc', '.gitignore'));
    // Every name created or renamed in data/ while the pull runs (inotify misses none).
    const seen: string[] = [];
    const watcher: FSWatcher = watch(join(dir, 'data'), (_event, name) => seen.push(String(name)));
    try {
      await pullData(ws, await resolveTargets(ws, []));
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the last events arrive
    } finally {
      watcher.close();
    }
    expect(new Set(seen)).toEqual(new Set(['rows.csv', 'images']));
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
    expect(await readFile(join(dir, '.dvc', '.gitignore'), 'utf8')).toContain('/tmp\n');
    expect(await readdir(join(dir, '.dvc', 'tmp'))).toEqual([]);
  });
});
