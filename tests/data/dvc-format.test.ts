/**
 * Known answers from DVC's own test suites, so our hashes are DVC's hashes:
 * - iterative/dvc-data tests/hashfile/test_build.py (commit 6e64c2e1),
 *   test_build_file and test_build_directory;
 * - iterative/dvc tests/func/test_add.py (commit c5fd3e3c), test_add,
 *   test_add_external_file and test_add_external_dir.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dirObjectBytes,
  hashPath,
  md5Hex,
  parseDirObject,
  pythonJsonString,
} from '../../pipeline/data/dvc/hash.js';
import { objectKey } from '../../pipeline/data/dvc/odb.js';
import { readPointer, writePointer } from '../../pipeline/data/dvc/pointer.js';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pullData } from '../../pipeline/data/sync.js';
import { readDvcConfig, pickRemote } from '../../pipeline/data/dvc/config.js';
import { PipelineError } from '../../pipeline/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dvc-format-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function gen(root: string, tree: Record<string, unknown>): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [name, value] of Object.entries(tree)) {
    if (typeof value === 'string') await writeFile(join(root, name), value);
    else await gen(join(root, name), value as Record<string, unknown>);
  }
}

describe('DVC hashes (known answers from DVC tests)', () => {
  it('hashes the file "foo" to acbd18db… with size 3 (dvc test_add, dvc-data test_build_file)', async () => {
    await gen(dir, { foo: 'foo' });
    expect(await hashPath(join(dir, 'foo'))).toEqual({
      kind: 'file',
      md5: 'acbd18db4cc2f85cedef654fccc4a4d8',
      size: 3,
    });
  });

  it('hashes the file "file" to 8c7dd922… (dvc test_add_external_file)', async () => {
    await gen(dir, { file: 'file' });
    expect((await hashPath(join(dir, 'file'))).md5).toBe('8c7dd922ad47494fc02c388e12c00eac');
  });

  it('hashes {foo, bar} to 5ea40360….dir, size 6, 2 files, entries sorted (dvc-data test_build_directory)', async () => {
    await gen(dir, { dir: { foo: 'foo', bar: 'bar' } });
    const h = await hashPath(join(dir, 'dir'));
    expect(h).toMatchObject({
      kind: 'dir',
      md5: '5ea40360f5b4ec688df672a4db9c17d1.dir',
      size: 6,
      nfiles: 2,
    });
    expect(h.kind === 'dir' && h.entries).toEqual([
      { md5: '37b51d194a7513e45b56f6524f2d51f2', relpath: 'bar' },
      { md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'foo' },
    ]);
  });

  it('hashes {file, subdir/subfile} to b6dcab6c….dir, size 11, 2 files (dvc test_add_external_dir)', async () => {
    await gen(dir, { dir: { file: 'file', subdir: { subfile: 'subfile' } } });
    expect(await hashPath(join(dir, 'dir'))).toMatchObject({
      md5: 'b6dcab6ccd17ca0a8bf4a215a37d14cc.dir',
      size: 11,
      nfiles: 2,
    });
  });

  it('serialises the .dir object as Python json.dumps(sort_keys=True) does', () => {
    const bytes = dirObjectBytes([
      { md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'foo' },
      { md5: '37b51d194a7513e45b56f6524f2d51f2', relpath: 'bar' },
    ]).toString();
    expect(bytes).toBe(
      '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]',
    );
    // ensure_ascii: non-ASCII and DEL escaped as \uXXXX, astral characters as surrogate pairs.
    expect(pythonJsonString('á\x7f😀"\n')).toBe('"\\u00e1\\u007f\\ud83d\\ude00\\"\\n"');
  });

  it('lays objects out as files/md5/<2 hex>/<rest>, keeping .dir', () => {
    expect(objectKey('acbd18db4cc2f85cedef654fccc4a4d8')).toBe(
      'files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8',
    );
    expect(objectKey('b6dcab6ccd17ca0a8bf4a215a37d14cc.dir')).toBe(
      'files/md5/b6/dcab6ccd17ca0a8bf4a215a37d14cc.dir',
    );
    expect(() => objectKey('../../etc/passwd')).toThrow(PipelineError);
  });

  it('refuses a .dir object whose relpath escapes the directory', () => {
    expect(() =>
      parseDirObject('[{"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "../x"}]', 'obj'),
    ).toThrow(/unsafe relpath/);
    expect(() => parseDirObject('{"not": "a list"}', 'obj')).toThrow(/not a DVC directory object/);
  });
});

describe('pointer files and config', () => {
  it('writes a pointer byte for byte as DVC 3 and keeps fields it does not use', async () => {
    const file = join(dir, 'data.dvc');
    await writeFile(
      file,
      'outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  size: 1\n  hash: md5\n  path: data\n  desc: penguins\n  remote: store\nmeta:\n  owner: team\n',
    );
    const previous = (await readPointer(file)).doc;
    await writePointer(
      file,
      { md5: 'b6dcab6ccd17ca0a8bf4a215a37d14cc.dir', size: 11, nfiles: 2, path: 'data' },
      previous,
    );
    expect(await readFile(file, 'utf8')).toBe(
      'outs:\n- md5: b6dcab6ccd17ca0a8bf4a215a37d14cc.dir\n  size: 11\n  nfiles: 2\n  hash: md5\n  path: data\n  desc: penguins\n  remote: store\nmeta:\n  owner: team\n',
    );
  });

  it('names the pointer and the field of a broken pointer', async () => {
    const file = join(dir, 'bad.dvc');
    await writeFile(file, 'outs:\n- md5: nothex\n  path: x\n');
    await expect(readPointer(file)).rejects.toThrow(
      /bad\.dvc: outs\.0\.md5: expected an md5 hex digest/,
    );
    await writeFile(file, 'outs: [\n');
    await expect(readPointer(file)).rejects.toThrow(/bad\.dvc: not valid YAML/);
  });

  it('reads [core] remote and remote sections, config.local winning, local urls relative to .dvc/', async () => {
    await gen(dir, {
      '.dvc': {
        config:
          '[core]\n    remote = store\n[\'remote "store"\']\n    url = ../storage\n[\'remote "cloud"\']\n    url = gs://bucket/path\n',
        'config.local': '[\'remote "cloud"\']\n    url = gs://other-bucket/p\n',
      },
    });
    const config = await readDvcConfig(dir);
    expect(pickRemote(config).url).toBe(join(dir, 'storage'));
    expect(pickRemote(config, 'cloud').url).toBe('gs://other-bucket/p');
    expect(() => pickRemote(config, 'nope')).toThrow(/DVC remote "nope" is not in \.dvc\/config/);
    expect(config.cacheDir).toBe(join(dir, '.dvc', 'cache'));
  });

  it('finds the repository root upward and says so when there is none', async () => {
    await gen(dir, { repo: { '.dvc': { config: '' }, a: { b: {} } } });
    expect((await openWorkspace(join(dir, 'repo', 'a', 'b'))).root).toBe(join(dir, 'repo'));
    await expect(openWorkspace(join(dir))).rejects.toThrow(/not inside a DVC repository/);
  });

  it('add writes PATH.dvc, stores the object under files/md5 in .dvc/cache and git-ignores PATH', async () => {
    await gen(dir, { '.dvc': { config: '' }, data: { 'foo.csv': 'foo' } });
    const ws = await openWorkspace(dir);
    const result = await addData(ws, join(dir, 'data', 'foo.csv'));
    expect(result.md5).toBe('acbd18db4cc2f85cedef654fccc4a4d8');
    expect(await readFile(join(dir, 'data', 'foo.csv.dvc'), 'utf8')).toBe(
      'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo.csv\n',
    );
    expect(
      await readFile(
        join(dir, '.dvc', 'cache', 'files', 'md5', 'ac', 'bd18db4cc2f85cedef654fccc4a4d8'),
        'utf8',
      ),
    ).toBe('foo');
    expect(await readFile(join(dir, 'data', '.gitignore'), 'utf8')).toBe('/foo.csv\n');
    expect(await readFile(join(dir, '.dvc', '.gitignore'), 'utf8')).toBe(
      '/config.local\n/tmp\n/cache\n',
    );
    await addData(ws, join(dir, 'data', 'foo.csv'));
    expect(await readFile(join(dir, 'data', '.gitignore'), 'utf8')).toBe('/foo.csv\n');
  });
});

describe('a remote written by DVC', () => {
  it('pulls the directory of dvc test_add_external_dir from a remote laid out as DVC 3 pushes it', async () => {
    // The .dir object whose md5 DVC's test records (b6dcab6c…), and the two file objects.
    const subfileMd5 = md5Hex('subfile');
    const object = `[{"md5": "8c7dd922ad47494fc02c388e12c00eac", "relpath": "file"}, {"md5": "${subfileMd5}", "relpath": "subdir/subfile"}]`;
    expect(md5Hex(object)).toBe('b6dcab6ccd17ca0a8bf4a215a37d14cc');
    await gen(dir, {
      '.dvc': {
        config: '[core]\n    remote = storage\n[\'remote "storage"\']\n    url = ../storage\n',
      },
      storage: {
        files: {
          md5: {
            b6: { 'dcab6ccd17ca0a8bf4a215a37d14cc.dir': object },
            '8c': { '7dd922ad47494fc02c388e12c00eac': 'file' },
            [subfileMd5.slice(0, 2)]: { [subfileMd5.slice(2)]: 'subfile' },
          },
        },
      },
      'dir.dvc':
        'outs:\n- md5: b6dcab6ccd17ca0a8bf4a215a37d14cc.dir\n  size: 11\n  nfiles: 2\n  hash: md5\n  path: dir\n',
    });
    const ws = await openWorkspace(dir);
    const result = await pullData(ws, await resolveTargets(ws, []));
    expect(result).toMatchObject({ transferred: 3, written: ['dir'] });
    expect(await readFile(join(dir, 'dir', 'file'), 'utf8')).toBe('file');
    expect(await readFile(join(dir, 'dir', 'subdir', 'subfile'), 'utf8')).toBe('subfile');
  });
});
