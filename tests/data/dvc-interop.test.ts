/**
 * `mlops data` and the real `dvc` (the pinned release scripts/services/dvc.sh
 * installs) on the same repositories: what one adds and pushes, the other pulls
 * and finds clean, and both write the same pointers, `.dir` objects and cache
 * paths for the same trees.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import seedrandom from 'seedrandom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.js';
import { runDvc, runMlopsWith } from '../support/cli.js';
import {
  randomBytes,
  randomTree,
  smallFile,
  writeRandomTree,
  type RandomTree,
} from '../support/random-tree.js';

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

/** A git repository with `dvc init` done and a local remote (`../store` unless named) as default. */
async function newRepo(name: string, store = '../store'): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  await git(path, 'init', '-q');
  await dvc(path, 'init', '-q');
  await dvc(path, 'remote', 'add', '-d', 'local', store);
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
          relative(root, path).split(sep).join('/'),
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

/** How many trees and single files the property test adds at once, and how many are large. */
const TREES = 200;
const SINGLE_FILES = 20;
const LARGE = 4;
/**
 * Top-level names: each lands in a pointer's `path:` (YAML, quoted where YAML
 * needs it) and in `.gitignore`, so they carry spaces, both Unicode forms, a
 * colon and quotes; a number in front keeps them apart and off option syntax.
 */
const TOP_SUFFIXES = [
  '',
  '',
  '',
  ' a b',
  ' na\u00efve',
  ' nai\u0308ve',
  ' 数据',
  ' 🙂',
  " it's",
  ': x',
];

/**
 * The trees of one run: a fixed seed, so `npm test` is repeatable; MLOPS_TREE_SEED
 * names another, or `random` for a fresh one, to explore new trees. A failure
 * prints its seed, so it can be replayed.
 */
function randomTargets(seed: string): Map<string, RandomTree | Buffer> {
  const rng = seedrandom(seed);
  const total = TREES + SINGLE_FILES;
  const large = new Set(Array.from({ length: LARGE }, () => Math.floor(rng() * total)));
  const targets = new Map<string, RandomTree | Buffer>();
  for (let i = 0; i < total; i++) {
    const suffix = TOP_SUFFIXES[Math.floor(rng() * TOP_SUFFIXES.length)]!;
    const largeBytes = large.has(i) ? 1_000_000 + Math.floor(rng() * 3_000_000) : 0;
    const itemSeed = `${seed}/${i}`;
    if (i < TREES) targets.set(`t${i}${suffix}`, randomTree(itemSeed, 12, largeBytes));
    else
      targets.set(
        `f${i}${suffix}.bin`,
        largeBytes
          ? randomBytes(seedrandom(itemSeed), largeBytes)
          : smallFile(seedrandom(itemSeed)),
      );
  }
  return targets;
}

async function writeTargets(
  root: string,
  targets: Map<string, RandomTree | Buffer>,
): Promise<void> {
  for (const [name, target] of targets)
    if (Buffer.isBuffer(target)) await writeFile(join(root, name), target);
    else await writeRandomTree(join(root, name), target);
}

/** The files of each target, checked out again, against what was generated. */
async function expectCheckedOut(
  root: string,
  targets: Map<string, RandomTree | Buffer>,
  label: (name: string) => string,
): Promise<void> {
  for (const [name, target] of targets) {
    if (Buffer.isBuffer(target)) {
      expect((await readFile(join(root, name))).equals(target), label(name)).toBe(true);
      continue;
    }
    const files = await tree(join(root, name));
    expect([...files.keys()].sort(), label(name)).toEqual([...target.files.keys()].sort());
    for (const [path, bytes] of target.files)
      expect(files.get(path), `${label(name)}: ${path}`).toBe(bytes.toString('base64'));
  }
}

/** The same content under the same names in both folders, listing the difference if not. */
async function expectSameFiles(ours: string, theirs: string, label: string): Promise<void> {
  const [a, b] = [await tree(ours), await tree(theirs)];
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
  expect(differ, label).toEqual([]);
  expect(a.size, label).toBeGreaterThan(TREES);
}

describe('mlops data and dvc agree on every hash', () => {
  const asked = process.env['MLOPS_TREE_SEED'] ?? '3735928559';
  const seed = asked === 'random' ? String(Math.floor(Math.random() * 2 ** 32)) : asked;
  const replay = `seed ${seed} (replay: MLOPS_TREE_SEED=${seed} npx vitest run tests/data/dvc-interop.test.ts)`;
  it(
    `write the same pointers, .dir objects, cache and remote paths for ${TREES} random trees and ${SINGLE_FILES} files, and each pulls what the other pushed`,
    async () => {
      const targets = randomTargets(seed);
      const names = [...targets.keys()];
      const about = (name: string) => {
        const target = targets.get(name)!;
        const listing = Buffer.isBuffer(target)
          ? `${target.length} bytes`
          : [...target.files].map(([p, b]) => `${p} (${b.length})`).join(' | ') +
            (target.emptyDirs.length ? ` | empty: ${target.emptyDirs.join(' | ')}` : '');
        return `${replay}, ${JSON.stringify(name)}: ${listing}`;
      };
      // `repo` is dvc's side; mlops works on a copy of the same data with a remote of its own.
      const ours = await newRepo('mlops-side', '../mlops-store');
      await Promise.all([writeTargets(repo, targets), writeTargets(ours, targets)]);
      /** A step of both tools, run side by side: each uses one of the two cores. */
      const both = async (theirs: () => Promise<unknown>, ...args: string[]) => {
        const [r] = await Promise.all([mlops(ours, ...args), theirs()]);
        expect(r.code, `${replay}\n${r.output}`).toBe(0);
      };

      // Every target in one command each: dvc takes a second to start.
      await both(() => dvc(repo, 'add', '-q', ...names), 'data', 'add', ...names);
      for (const name of names)
        expect(await readFile(join(ours, `${name}.dvc`), 'utf8'), about(name)).toBe(
          await readFile(join(repo, `${name}.dvc`), 'utf8'),
        );
      expect(await readFile(join(ours, '.gitignore'), 'utf8'), replay).toBe(
        await readFile(join(repo, '.gitignore'), 'utf8'),
      );
      // Same `.dir` objects and files under the same cache paths, byte for byte.
      await expectSameFiles(join(ours, '.dvc', 'cache'), join(repo, '.dvc', 'cache'), replay);

      await both(() => dvc(repo, 'push', '-q'), 'data', 'push');
      await expectSameFiles(join(dir, 'mlops-store'), join(dir, 'store'), replay);

      // Fresh clones: each side pulls what the other pushed.
      for (const root of [repo, ours]) {
        await rm(join(root, '.dvc', 'cache'), { recursive: true, force: true });
        for (const name of names) await rm(join(root, name), { recursive: true, force: true });
      }
      await Promise.all([
        dvc(repo, 'remote', 'modify', 'local', 'url', '../mlops-store'),
        dvc(ours, 'remote', 'modify', 'local', 'url', '../store'),
      ]);
      const [pull] = await Promise.all([mlops(repo, 'data', 'pull'), dvc(ours, 'pull', '-q')]);
      expect(pull.code, `${replay}\n${pull.output}`).toBe(0);
      await expectCheckedOut(repo, targets, about);
      await expectCheckedOut(ours, targets, about);
      const [status, dvcStatus] = await Promise.all([
        mlops(repo, 'data', 'status'),
        dvc(ours, 'status'),
      ]);
      expect(status.code, `${replay}\n${status.output}`).toBe(0);
      expect(dvcStatus, replay).toMatch(/up to date/);
    },
    SLOW * 2,
  );
});
