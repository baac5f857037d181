/**
 * `mlops data` and the real `dvc` (the pinned release scripts/services/dvc.sh
 * installs) on the same repositories: what one adds and pushes, the other pulls
 * and finds clean, and both write the same pointers, `.dir` objects and cache
 * paths for the same trees.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import seedrandom from 'seedrandom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addData, openWorkspace } from '../../pipeline/data/dvc/workspace.js';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';
import { runDvc, runMlopsWith } from '../support/cli.js';

const run = promisify(execFile);
/** DVC starts slowly (about a second a command) and the property test runs many. */
const SLOW = 240_000;
let dir: string;
let repo: string;
/** What mlops is run with: the emulator's endpoint, for the gs:// tests. */
let mlopsEnv: Record<string, string> = {};

/** `dvc` as a user runs it, with no analytics and no prompt. */
const dvc = (cwd: string, ...args: string[]) => runDvc(cwd, dir, ...args);

/** `mlops` as a user runs it, against the emulator when a test points it there. */
const mlops = (cwd: string, ...args: string[]) => runMlopsWith(mlopsEnv, cwd, ...args);

async function git(cwd: string, ...args: string[]): Promise<void> {
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd });
}

/** A git repository with `dvc init` done and a local remote `../store` as default. */
async function newRepo(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  await git(path, 'init', '-q');
  await dvc(path, 'init', '-q');
  await dvc(path, 'remote', 'add', '-d', 'local', '../store');
  return path;
}

/** Every file under `root` with its bytes, by `/`-separated path. */
async function tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(folder, e.name);
      if (e.isDirectory()) await walk(path);
      else
        out.set(
          relative(root, path).split('\\').join('/'),
          (await readFile(path)).toString('base64'),
        );
    }
  };
  await walk(root);
  return out;
}

async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), data);
  }
}

const ROWS = 'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n';
const IMAGES = {
  'a.bin': Buffer.alloc(70_000, 7),
  'sub/b.txt': 'b\n',
  'sub/empty': '',
  'naïve name.txt': 'unicode and a space\n',
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dvc-interop-'));
  repo = await newRepo('repo');
});

afterEach(async () => {
  mlopsEnv = {};
  await rm(dir, { recursive: true, force: true });
});

/** Forget the data and the cache, as a fresh clone of the repository would. */
async function freshClone(): Promise<void> {
  await rm(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
  await rm(join(repo, 'data', 'rows.csv'), { force: true });
  await rm(join(repo, 'data', 'images'), { recursive: true, force: true });
}

describe('mlops data and the real dvc on a local remote', () => {
  it(
    'pulls, and finds in sync, files and folders that dvc added and pushed',
    async () => {
      await writeTree(join(repo, 'data'), { 'rows.csv': ROWS });
      await writeTree(join(repo, 'data', 'images'), IMAGES);
      await dvc(repo, 'add', '-q', 'data/rows.csv', 'data/images');
      await dvc(repo, 'push', '-q');
      const pointers = {
        rows: await readFile(join(repo, 'data', 'rows.csv.dvc'), 'utf8'),
        images: await readFile(join(repo, 'data', 'images.dvc'), 'utf8'),
      };
      await freshClone();

      const pull = await mlops(repo, 'data', 'pull');
      expect(pull.code, pull.output).toBe(0);
      expect(await readFile(join(repo, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
      const images = await tree(join(repo, 'data', 'images'));
      expect([...images.keys()].sort()).toEqual(Object.keys(IMAGES).sort());
      expect(images.get('naïve name.txt')).toBe(
        Buffer.from('unicode and a space\n').toString('base64'),
      );
      const status = await mlops(repo, 'data', 'status');
      expect(status.code, status.output).toBe(0);
      expect(status.output).toMatch(/in sync\s+data\/images\n/);
      // mlops rewrote no pointer, and dvc agrees the checkout is the data it pushed.
      expect(await readFile(join(repo, 'data', 'rows.csv.dvc'), 'utf8')).toBe(pointers.rows);
      expect(await readFile(join(repo, 'data', 'images.dvc'), 'utf8')).toBe(pointers.images);
      expect(await dvc(repo, 'status')).toMatch(/up to date/);

      // A change dvc would see, mlops sees.
      await writeFile(join(repo, 'data', 'images', 'sub', 'b.txt'), 'changed\n');
      const changed = await mlops(repo, 'data', 'status');
      expect(changed.code).toBe(1);
      const now = /modified\s+data\/images \(now ([0-9a-f]{32}\.dir)\)/.exec(changed.output)?.[1];
      expect(await dvc(repo, 'status')).toMatch(/modified:\s+data\/images/);
      // ... and the hash mlops reports is the one dvc records for it.
      await dvc(repo, 'add', '-q', 'data/images');
      expect(await readFile(join(repo, 'data', 'images.dvc'), 'utf8')).toContain(`md5: ${now}`);
    },
    SLOW,
  );

  it(
    'dvc pulls, and finds clean, what mlops data add and push wrote',
    async () => {
      await writeTree(join(repo, 'data'), { 'rows.csv': ROWS });
      await writeTree(join(repo, 'data', 'images'), IMAGES);
      for (const args of [
        ['data', 'add', 'data/rows.csv', 'data/images'],
        ['data', 'push'],
      ]) {
        const r = await mlops(repo, ...args);
        expect(r.code, r.output).toBe(0);
      }
      await freshClone();

      await dvc(repo, 'pull', '-q');
      expect(await readFile(join(repo, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
      expect([...(await tree(join(repo, 'data', 'images'))).keys()].sort()).toEqual(
        Object.keys(IMAGES).sort(),
      );
      expect(await dvc(repo, 'status')).toMatch(/up to date/);
      expect(await dvc(repo, 'status', '--cloud')).toMatch(/in sync/);
      const dataStatus = JSON.parse(await dvc(repo, 'data', 'status', '--json')) as Record<
        string,
        unknown
      >;
      expect(dataStatus['uncommitted'] ?? {}).toEqual({});
      expect(dataStatus['not_in_cache'] ?? []).toEqual([]);
      expect(dataStatus['unknown'] ?? []).toEqual([]);
    },
    SLOW,
  );
});

describe('mlops data and the real dvc (dvc-gs) on a gs:// remote in fake-gcs-server', () => {
  let gcs: GcsEmulator;
  beforeEach(async () => {
    gcs = await startGcsEmulator(['team-data']);
    // dvc-gs takes the endpoint from the remote's config; mlops from its environment.
    await dvc(repo, 'remote', 'add', '-d', 'gcs', 'gs://team-data/dvcstore');
    await dvc(repo, 'remote', 'modify', 'gcs', 'endpointurl', gcs.endpoint);
    mlopsEnv = { MLOPS_GCS_ENDPOINT: gcs.endpoint };
  });
  afterEach(async () => {
    await gcs.close();
  });

  it(
    'mlops pulls what dvc pushed, and dvc pulls what mlops pushed',
    async () => {
      await writeTree(join(repo, 'data'), { 'rows.csv': ROWS });
      await dvc(repo, 'add', '-q', 'data/rows.csv');
      await dvc(repo, 'push', '-q');
      await writeTree(join(repo, 'data', 'images'), IMAGES);
      const add = await mlops(repo, 'data', 'add', 'data/images');
      expect(add.code, add.output).toBe(0);
      const push = await mlops(repo, 'data', 'push');
      expect(push.code, push.output).toBe(0);
      expect(push.output).toMatch(/1 already in gs:\/\/team-data\/dvcstore/);
      await freshClone();

      const pull = await mlops(repo, 'data', 'pull', 'data/rows.csv.dvc');
      expect(pull.code, pull.output).toBe(0);
      expect(await readFile(join(repo, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
      await dvc(repo, 'pull', '-q', 'data/images.dvc');
      expect([...(await tree(join(repo, 'data', 'images'))).keys()].sort()).toEqual(
        Object.keys(IMAGES).sort(),
      );
      expect(await dvc(repo, 'status', '--cloud')).toMatch(/in sync/);
      expect((await mlops(repo, 'data', 'status')).code).toBe(0);
    },
    SLOW,
  );
});

/** Names that have tripped tools before: spaces, accents, CJK, emoji, dots, dashes. */
const NAMES = ['a', 'b c', 'naïve', '数据', '🙂 x', 'x.csv', '.hidden', 'Z-1', 'é', 'long_name_0'];

/** A seeded tree: nested folders, empty files, names from NAMES, small and larger files. */
function randomTree(seed: string): Record<string, Buffer> {
  const rng = seedrandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const files: Record<string, Buffer> = {};
  const count = 1 + Math.floor(rng() * 12);
  for (let i = 0; i < count; i++) {
    const depth = Math.floor(rng() * 4);
    const parts = Array.from({ length: depth }, () => pick(NAMES));
    const path = [...parts, `${pick(NAMES)}-${i}`].join('/');
    // No path may be a file and a folder at once.
    if (Object.keys(files).some((f) => f.startsWith(`${path}/`) || path.startsWith(`${f}/`)))
      continue;
    const kind = rng();
    const size =
      kind < 0.2
        ? 0
        : kind < 0.85
          ? Math.floor(rng() * 200)
          : 100_000 + Math.floor(rng() * 200_000);
    const bytes = Buffer.alloc(size);
    for (let b = 0; b < size; b++) bytes[b] = Math.floor(rng() * 256);
    files[path] = bytes;
  }
  return files;
}

describe('mlops data and dvc agree on every hash', () => {
  const SEEDS = ['1', '2', '3', '4', '5'];
  it(
    `writes the same pointer, .dir object and cache paths as dvc add for ${SEEDS.length} random trees`,
    async () => {
      const other = await newRepo('other');
      for (const seed of SEEDS) {
        const files = randomTree(seed);
        await writeTree(join(repo, 'tree'), files);
        await writeTree(join(other, 'tree'), files);
        await dvc(repo, 'add', '-q', 'tree');
        await addData(await openWorkspace(other), join(other, 'tree'));
        const label = `seed ${seed}: ${Object.keys(files).join(' | ')}`;
        expect(await readFile(join(other, 'tree.dvc'), 'utf8'), label).toBe(
          await readFile(join(repo, 'tree.dvc'), 'utf8'),
        );
        const ours = await tree(join(other, '.dvc', 'cache', 'files'));
        const theirs = await tree(join(repo, '.dvc', 'cache', 'files'));
        expect([...ours.keys()].sort(), label).toEqual([...theirs.keys()].sort());
        for (const [path, bytes] of theirs) expect(ours.get(path), `${label}: ${path}`).toBe(bytes);
        for (const r of [repo, other]) {
          await rm(join(r, 'tree'), { recursive: true, force: true });
          await rm(join(r, 'tree.dvc'), { force: true });
        }
      }
    },
    SLOW * 2,
  );
});
