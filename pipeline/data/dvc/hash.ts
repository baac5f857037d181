/**
 * DVC's content addresses: a file is the md5 of its bytes; a directory is the md5
 * of its `.dir` object (the sorted list of {md5, relpath} serialised exactly as
 * Python's `json.dumps(..., sort_keys=True)` does), with ".dir" appended.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PipelineError } from '../../errors.js';
import { hashFile, type HashKind } from './dos2unix.js';

export interface DirEntry {
  md5: string;
  relpath: string;
}

export interface HashedFile {
  kind: 'file';
  md5: string;
  size: number;
}

export interface HashedDir {
  kind: 'dir';
  /** md5 of the .dir object, with the ".dir" suffix. */
  md5: string;
  /** Sum of the files' sizes, as DVC records it. */
  size: number;
  nfiles: number;
  entries: DirEntry[];
  /** The .dir object's bytes, stored in the cache under its md5. */
  object: Buffer;
  /** Absolute path of each entry, in the order of `entries`. */
  paths: string[];
}

export type Hashed = HashedFile | HashedDir;

/**
 * Python's json.dumps string escaping with ensure_ascii: every character outside
 * printable ASCII becomes \uXXXX (UTF-16 code units, lowercase hex). JSON.stringify
 * leaves non-ASCII alone, so it is escaped here by hand.
 */
export function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Code-point order, as Python sorts strings (JavaScript's default sort is UTF-16 order). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

/** The bytes of a `.dir` object for these entries. */
export function dirObjectBytes(entries: readonly DirEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  const items = sorted.map(
    (e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`,
  );
  return Buffer.from(`[${items.join(', ')}]`, 'utf8');
}

export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Parse a `.dir` object; throws a data error naming `label` when it is not one. */
export function parseDirObject(bytes: Buffer | string, label: string): DirEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString());
  } catch {
    throw new PipelineError('data', `${label}: not a DVC directory object (invalid JSON)`);
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every(
      (e: unknown) =>
        !!e &&
        typeof (e as DirEntry).md5 === 'string' &&
        /^[0-9a-f]{32}$/.test((e as DirEntry).md5) &&
        typeof (e as DirEntry).relpath === 'string',
    )
  )
    throw new PipelineError(
      'data',
      `${label}: not a DVC directory object (expected [{md5, relpath}])`,
    );
  const entries = parsed as DirEntry[];
  checkRelpaths(entries, label);
  return entries.map((e) => ({ md5: e.md5, relpath: e.relpath }));
}

/**
 * A `.dir` object comes from a remote anyone with push access can write: each
 * relpath must be a plain relative path that checkout can create, and no path
 * may be both a file and the folder of another.
 */
function checkRelpaths(entries: readonly DirEntry[], label: string): void {
  const files = new Set<string>();
  for (const e of entries) {
    const parts = e.relpath.split('/');
    if (e.relpath.includes('\0'))
      throw new PipelineError(
        'data',
        `${label}: relpath ${JSON.stringify(e.relpath)} contains a NUL character`,
      );
    if (e.relpath.startsWith('/') || parts.some((p) => p === '..' || p === '' || p === '.'))
      throw new PipelineError(
        'data',
        `${label}: unsafe relpath ${JSON.stringify(e.relpath)} (an absolute path, or a "..", "." or empty part)`,
      );
    if (files.has(e.relpath))
      throw new PipelineError(
        'data',
        `${label}: relpath ${JSON.stringify(e.relpath)} is listed twice`,
      );
    files.add(e.relpath);
  }
  for (const e of entries) {
    const parts = e.relpath.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (files.has(folder))
        throw new PipelineError(
          'data',
          `${label}: ${JSON.stringify(folder)} is both a file and the folder of ${JSON.stringify(e.relpath)}`,
        );
    }
  }
}

/**
 * Every file under `dir`. A symbolic link is refused rather than skipped or
 * followed: DVC would store what it points to (which may be outside the
 * repository) and a checkout would write a copy, not the link.
 */
async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
    else if (entry.isSymbolicLink())
      throw new PipelineError(
        'data',
        `${path}: a symbolic link inside a tracked folder; links are not tracked`,
        {
          hint: 'Replace the link with the file or folder it points to, or track the data where it lives.',
        },
      );
    else
      throw new PipelineError(
        'data',
        `${path}: neither a file nor a folder (a socket, pipe or device) inside a tracked folder`,
      );
  }
}

/**
 * Hash a file or a directory as `dvc add` would (`md5`), or as DVC 3 checks a
 * DVC 2 out (`md5-dos2unix`; the `.dir` object is JSON text without CRLF, so
 * its md5 is the same either way).
 */
export async function hashPath(path: string, kind: HashKind = 'md5'): Promise<Hashed> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    throw new PipelineError('data', `${path}: does not exist`);
  }
  if (info.isFile()) return { kind: 'file', md5: await hashFile(path, kind), size: info.size };
  if (!info.isDirectory())
    throw new PipelineError('data', `${path}: neither a file nor a directory`);
  const paths: string[] = [];
  await walk(path, paths);
  const entries: DirEntry[] = [];
  let size = 0;
  for (const file of paths) {
    entries.push({
      md5: await hashFile(file, kind),
      relpath: relative(path, file).split(sep).join('/'),
    });
    size += (await lstat(file)).size;
  }
  const order = entries
    .map((_, i) => i)
    .sort((a, b) => compareCodePoints(entries[a]!.relpath, entries[b]!.relpath));
  const sortedEntries = order.map((i) => entries[i]!);
  const object = dirObjectBytes(sortedEntries);
  return {
    kind: 'dir',
    md5: `${md5Hex(object)}.dir`,
    size,
    nfiles: sortedEntries.length,
    entries: sortedEntries,
    object,
    paths: order.map((i) => paths[i]!),
  };
}
