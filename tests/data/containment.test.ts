/**
 * A pointer, a `.dir` object or a folder in the repository can come from a pull
 * request: whatever they say, the data layer writes only inside the repository
 * (and the cache), and refuses bad ones with exit status 2, naming the pointer.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { readDataset } from '../../pipeline/data/dataset.js';
import { dirObjectBytes, md5Hex } from '../../pipeline/data/dvc/hash.js';
import { objectKey } from '../../pipeline/data/dvc/odb.js';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pullData, pushData } from '../../pipeline/data/sync.js';
import { PipelineError } from '../../pipeline/errors.js';
import { runMlops } from '../helpers/project.js';

const ROWS = 'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n4,3.5,b\n';

/** The test's folder: `repo/` is the repository, `outside/` what must stay untouched. */
let top: string;
let repo: string;
let outside: string;

beforeEach(async () => {
  top = await mkdtemp(join(tmpdir(), 'data-contain-'));
  repo = join(top, 'repo');
  outside = join(top, 'outside');
  await mkdir(join(repo, '.dvc'), { recursive: true });
  await mkdir(join(repo, 'data'));
  await mkdir(outside);
  await writeFile(
    join(repo, '.dvc', 'config'),
    '[core]\n    remote = local\n[\'remote "local"\']\n    url = ../../store\n',
  );
  await writeFile(join(repo, 'data', 'rows.csv'), ROWS);
  const ws = await openWorkspace(repo);
  await addData(ws, join(repo, 'data', 'rows.csv'));
  await pushData(ws, await resolveTargets(ws, []));
});

afterEach(async () => {
  await rm(top, { recursive: true, force: true });
});

/** Point data/rows.csv.dvc at `path` instead. */
async function repoint(path: string): Promise<string> {
  const file = join(repo, 'data', 'rows.csv.dvc');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/path: .*/, `path: ${JSON.stringify(path)}`));
  return file;
}

async function pullError(): Promise<PipelineError> {
  const ws = await openWorkspace(repo);
  const error = await pullData(ws, await resolveTargets(ws, []), { force: true }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as PipelineError).code).toBe('data');
  return error as PipelineError;
}

describe('mlops data pull never writes outside the repository', () => {
  it('refuses a pointer whose path climbs out (../), exit 2 naming the pointer, nothing written outside', async () => {
    await repoint('../../outside/rows.csv');
    const pull = await runMlops(['data', 'pull'], { cwd: repo });
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain(
      'data/rows.csv.dvc: path "../../outside/rows.csv" is outside the repository',
    );
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(top)).toEqual(['outside', 'repo', 'store']);
  });

  it('refuses a path through a symlinked folder, exit 2 naming the pointer, nothing written outside', async () => {
    await symlink(outside, join(repo, 'data', 'link'));
    await repoint('link/rows.csv');
    const pull = await runMlops(['data', 'pull', '--force'], { cwd: repo });
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain(
      `data/rows.csv.dvc: path "link/rows.csv" leads through a symbolic link to ${join(outside, 'rows.csv')}, outside the repository`,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses an absolute path, and --force does not overwrite the file there', async () => {
    await writeFile(join(outside, 'rows.csv'), 'keep me\n');
    await repoint(join(outside, 'rows.csv'));
    const error = await pullError();
    expect(error.message).toMatch(
      /^data\/rows\.csv\.dvc: path ".*\/outside\/rows\.csv" is outside the repository/,
    );
    expect(await readFile(join(outside, 'rows.csv'), 'utf8')).toBe('keep me\n');
  });

  it('refuses to check data out over .git, .dvc or the repository itself', async () => {
    await mkdir(join(repo, '.git'));
    await writeFile(join(repo, '.git', 'config'), '[core]\n');
    await repoint('../.git/config');
    expect((await pullError()).message).toContain('path "../.git/config" is inside .git/');
    expect(await readFile(join(repo, '.git', 'config'), 'utf8')).toBe('[core]\n');
    await repoint('../.dvc/config');
    expect((await pullError()).message).toContain('is inside .dvc/');
    await repoint('..');
    expect((await pullError()).message).toContain('names the repository');
  });

  it('refuses a cache whose object folder is a symlink leading out', async () => {
    const ws = await openWorkspace(repo);
    const [pointer] = await resolveTargets(ws, []);
    const oid = pointer!.out.md5;
    await rm(join(repo, '.dvc', 'cache'), { recursive: true });
    await rm(join(repo, 'data', 'rows.csv'));
    await mkdir(join(repo, '.dvc', 'cache', 'files', 'md5'), { recursive: true });
    await symlink(outside, join(repo, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2)));
    const error = await pullData(ws, [pointer!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain(
      `object ${oid} leads through a symbolic link`,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it('mlops run, pulling missing data itself, refuses the same pointer and writes nothing outside', async () => {
    await repoint('../../outside/rows.csv');
    await writeFile(
      join(repo, 'mlops.yaml'),
      'data:\n  pointer: data/rows.csv.dvc\n  target: label\n  features: [{ name: x, type: numeric }]\nmodel: { task: classification }\n',
    );
    const error = await readDataset(await loadConfig(join(repo, 'mlops.yaml'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('data');
    expect((error as PipelineError).message).toContain(
      'data/rows.csv.dvc: path "../../outside/rows.csv" is outside the repository',
    );
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('mlops data add never writes outside the repository', () => {
  it('refuses data reached through a symlinked folder: no pointer, no .gitignore outside', async () => {
    await writeFile(join(outside, 'more.csv'), ROWS);
    await symlink(outside, join(repo, 'data', 'link'));
    const ws = await openWorkspace(repo);
    const error = await addData(ws, join(repo, 'data', 'link', 'more.csv')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain('leads through a symbolic link');
    expect(await readdir(outside)).toEqual(['more.csv']);
  });
});

/** A directory pointer `dir.dvc` whose `.dir` object lists `entries`, every object in the remote. */
async function dirPointer(entries: { relpath: string; content: string }[]): Promise<void> {
  const store = join(top, 'store');
  const put = async (oid: string, bytes: string | Buffer) => {
    const path = join(store, ...objectKey(oid).split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, bytes);
  };
  const listed = entries.map((e) => ({ md5: md5Hex(e.content), relpath: e.relpath }));
  for (const e of entries) await put(md5Hex(e.content), e.content);
  const object = dirObjectBytes(listed);
  const oid = `${md5Hex(object)}.dir`;
  await put(oid, object);
  await writeFile(
    join(repo, 'dir.dvc'),
    `outs:\n- md5: ${oid}\n  size: 2\n  nfiles: ${entries.length}\n  hash: md5\n  path: dir\n`,
  );
}

describe('a .dir object from the remote is checked before checkout', () => {
  it('a relpath with a NUL byte is bad data (exit 2, naming the pointer), not a crash', async () => {
    await dirPointer([{ relpath: 'a\u0000b', content: 'x' }]);
    const pull = await runMlops(['data', 'pull', 'dir.dvc'], { cwd: repo });
    expect(pull.stderr).not.toContain('internal error');
    expect(pull.code).toBe(2);
    expect(pull.stderr).toMatch(
      /dir\.dvc: directory object [0-9a-f]{32}\.dir: relpath "a\\u0000b" contains a NUL character/,
    );
  });

  it('a path that is both a file and a folder is bad data (exit 2), not a crash', async () => {
    await dirPointer([
      { relpath: 'a.txt', content: 'x' },
      { relpath: 'a.txt/b.txt', content: 'y' },
    ]);
    const pull = await runMlops(['data', 'pull', 'dir.dvc'], { cwd: repo });
    expect(pull.stderr).not.toContain('internal error');
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain('"a.txt" is both a file and the folder of "a.txt/b.txt"');
    expect(await readdir(repo)).not.toContain('dir');
  });

  it('refuses relpaths with "..", an absolute path, empty parts or listed twice, writing nothing', async () => {
    for (const relpath of ['../escape.txt', '/etc/escape.txt', 'a//b.txt', 'a/./b.txt']) {
      await dirPointer([{ relpath, content: 'x' }]);
      const ws = await openWorkspace(repo);
      const error = await pullData(ws, await resolveTargets(ws, [join(repo, 'dir.dvc')])).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PipelineError);
      expect((error as PipelineError).message).toContain(
        `unsafe relpath ${JSON.stringify(relpath)}`,
      );
    }
    await dirPointer([
      { relpath: 'a.txt', content: 'x' },
      { relpath: 'a.txt', content: 'y' },
    ]);
    const ws = await openWorkspace(repo);
    const error = await pullData(ws, await resolveTargets(ws, [join(repo, 'dir.dvc')])).catch(
      (e: unknown) => e,
    );
    expect((error as PipelineError).message).toContain('relpath "a.txt" is listed twice');
    expect(await readdir(top)).toEqual(['outside', 'repo', 'store']);
    expect(await readdir(repo)).not.toContain('dir');
  });
});
