/**
 * Repositories that started on DVC 2: pointers with `md5:` and no `hash:`,
 * hashed md5-dos2unix (a text file's CRLF read as LF), their objects in the
 * legacy layout `<2 hex>/<30 hex>` of the cache and the remote. The repository
 * is built by hand in that format, checked against the real dvc, and then
 * mlops must read, pull, push and re-add it as dvc 3 does.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDvc, runMlops } from '../support/cli.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** DVC starts slowly (about a second a command, more on a loaded machine). */
const SLOW = 240_000;
let dir: string;
let repo: string;

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');
const dvc = (cwd: string, ...args: string[]) => runDvc(cwd, dir, ...args);

/** Text with Windows line ends: DVC 2 recorded the md5 of its LF form. */
const ROWS = 'id,x,label\r\n1,0.5,a\r\n2,1.5,b\r\n3,2.5,a\r\n';
const NOTES = 'first line\r\nsecond line\r\n';
/** Binary (a NUL byte) with CRLF pairs in it: hashed as it is. */
const BLOB = Buffer.from([0, 1, 2, 13, 10, 200, 13, 10, 255, 0, 13, 10]);

const rowsOid = md5(ROWS.replaceAll('\r\n', '\n'));
const notesOid = md5(NOTES.replaceAll('\r\n', '\n'));
const blobOid = md5(BLOB);
/** A DVC 2 `.dir` manifest: Python's json.dumps of the sorted entries. */
const MANIFEST = `[{"md5": "${blobOid}", "relpath": "blob.bin"}, {"md5": "${notesOid}", "relpath": "sub/notes.txt"}]`;
const dirOid = `${md5(MANIFEST)}.dir`;

/** Where DVC 2 (and DVC 3, for a DVC 2 out) keeps an object: no `files/md5/`. */
const legacy = (root: string, oid: string) => join(root, oid.slice(0, 2), oid.slice(2));
const current = (root: string, oid: string) =>
  join(root, 'files', 'md5', oid.slice(0, 2), oid.slice(2));

async function put(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await promisify(execFile)('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], {
    cwd,
  });
}

/**
 * A clone of a DVC 2 repository: its pointers (as DVC 2 wrote them) and
 * `.gitignore`, no data and no cache; the remote `../store` holds the objects
 * in the legacy layout.
 */
async function dvc2Repo(): Promise<void> {
  await mkdir(repo);
  await git(repo, 'init', '-q');
  await dvc(repo, 'init', '-q');
  await dvc(repo, 'remote', 'add', '-d', 'local', '../store');
  await put(
    join(repo, 'data', 'rows.csv.dvc'),
    `outs:\n- md5: ${rowsOid}\n  size: ${ROWS.length}\n  path: rows.csv\n`,
  );
  await put(
    join(repo, 'data', 'images.dvc'),
    `outs:\n- md5: ${dirOid}\n  size: ${BLOB.length + NOTES.length}\n  nfiles: 2\n  path: images\n`,
  );
  await put(join(repo, 'data', '.gitignore'), '/rows.csv\n/images\n');
  const store = join(dir, 'store');
  await put(legacy(store, rowsOid), ROWS);
  await put(legacy(store, notesOid), NOTES);
  await put(legacy(store, blobOid), BLOB);
  await put(legacy(store, dirOid), MANIFEST);
}

/** Forget the data and the cache, as a fresh clone would. */
async function freshClone(): Promise<void> {
  await rm(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
  await rm(join(repo, 'data', 'rows.csv'), { force: true });
  await rm(join(repo, 'data', 'images'), { recursive: true, force: true });
}

async function expectData(): Promise<void> {
  expect(await readFile(join(repo, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
  expect(await readFile(join(repo, 'data', 'images', 'sub', 'notes.txt'), 'utf8')).toBe(NOTES);
  expect(await readFile(join(repo, 'data', 'images', 'blob.bin'))).toEqual(BLOB);
}

async function mlopsOk(...args: string[]): Promise<string> {
  const r = await runMlops(repo, ...args);
  expect(r.code, r.output).toBe(0);
  return r.output;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dvc2-'));
  repo = join(dir, 'repo');
  await dvc2Repo();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a repository that started on DVC 2', () => {
  it(
    'pull fetches its objects from the legacy remote layout into the legacy cache, as dvc does',
    async () => {
      // The hand-made repository is one dvc reads: it pulls it and finds it clean.
      await dvc(repo, 'pull', '-q');
      await expectData();
      expect(await dvc(repo, 'status')).toMatch(/up to date/);
      await freshClone();

      await mlopsOk('data', 'pull');
      await expectData();
      const cache = join(repo, '.dvc', 'cache');
      for (const oid of [rowsOid, notesOid, blobOid, dirOid])
        expect(await readFile(legacy(cache, oid))).toBeTruthy();
      expect(await exists(join(cache, 'files'))).toBe(false);
      expect(await mlopsOk('data', 'status')).toMatch(/in sync\s+data\/images\n/);
      expect(await dvc(repo, 'status')).toMatch(/up to date/);
    },
    SLOW,
  );

  it(
    'status hashes its text with CRLF read as LF: line ends alone are no change, an edit is',
    async () => {
      await mlopsOk('data', 'pull');
      // The LF form of the same text has the md5 DVC 2 recorded.
      await writeFile(join(repo, 'data', 'rows.csv'), ROWS.replaceAll('\r\n', '\n'));
      expect(await mlopsOk('data', 'status')).toMatch(/in sync\s+data\/rows.csv\n/);
      expect(await dvc(repo, 'status')).toMatch(/up to date/);

      await writeFile(join(repo, 'data', 'rows.csv'), `${ROWS}4,3.5,b\r\n`);
      await writeFile(join(repo, 'data', 'images', 'sub', 'notes.txt'), 'changed\r\n');
      const changed = await runMlops(repo, 'data', 'status');
      expect(changed.code, changed.output).toBe(1);
      expect(changed.output).toMatch(/modified\s+data\/rows.csv/);
      expect(changed.output).toMatch(/modified\s+data\/images/);
      const status = await dvc(repo, 'status');
      expect(status).toMatch(/modified:\s+data\/rows.csv/);
      expect(status).toMatch(/modified:\s+data\/images/);
    },
    SLOW,
  );

  it(
    'push sends its objects to the legacy layout of a remote, where dvc pulls them',
    async () => {
      await mlopsOk('data', 'pull');
      await dvc(repo, 'remote', 'add', 'other', '../other');
      expect(await mlopsOk('data', 'push', '--remote', 'other')).toMatch(/4 uploaded/);
      const other = join(dir, 'other');
      for (const oid of [rowsOid, notesOid, blobOid, dirOid])
        expect(await exists(legacy(other, oid))).toBe(true);
      expect(await exists(join(other, 'files'))).toBe(false);

      await freshClone();
      await dvc(repo, 'pull', '-q', '-r', 'other');
      await expectData();
      expect(await dvc(repo, 'status', '-c', '-r', 'other')).toMatch(/in sync/);
    },
    SLOW,
  );

  it(
    'data add rewrites its pointers in DVC 3 format, which dvc finds clean and pulls',
    async () => {
      await mlopsOk('data', 'pull');
      const edited = `${ROWS}4,3.5,b\r\n`;
      await writeFile(join(repo, 'data', 'rows.csv'), edited);
      await mlopsOk('data', 'add', 'data/rows.csv', 'data/images');

      const rows = await readFile(join(repo, 'data', 'rows.csv.dvc'), 'utf8');
      // DVC 3 records the md5 of the bytes as they are, CRLF and all.
      expect(rows).toBe(
        `outs:\n- md5: ${md5(edited)}\n  size: ${edited.length}\n  hash: md5\n  path: rows.csv\n`,
      );
      const images = await readFile(join(repo, 'data', 'images.dvc'), 'utf8');
      expect(images).toMatch(/\n {2}hash: md5\n/);
      const cache = join(repo, '.dvc', 'cache');
      expect(await exists(current(cache, md5(edited)))).toBe(true);
      expect(await exists(current(cache, md5(NOTES)))).toBe(true);
      expect(await dvc(repo, 'status')).toMatch(/up to date/);
      expect(await mlopsOk('data', 'status')).toMatch(/in sync\s+data\/rows.csv\n/);

      await mlopsOk('data', 'push');
      expect(await exists(current(join(dir, 'store'), md5(edited)))).toBe(true);
      await freshClone();
      await dvc(repo, 'pull', '-q');
      expect(await readFile(join(repo, 'data', 'rows.csv'), 'utf8')).toBe(edited);
      expect(await readFile(join(repo, 'data', 'images', 'sub', 'notes.txt'), 'utf8')).toBe(NOTES);
      expect(await dvc(repo, 'status')).toMatch(/up to date/);
    },
    SLOW,
  );
});
