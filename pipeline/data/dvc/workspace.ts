/**
 * A DVC repository as the data commands see it: its root, config and cache, the
 * pointers in it, and what add, checkout and status do with them.
 */
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../../errors.js';
import { replaceDirAtomic, writeFileAtomic } from '../../util/files.js';
import { readDvcConfig, type DvcConfig } from './config.js';
import { hashPath, parseDirObject, type DirEntry } from './hash.js';
import { LocalCache, tempBeside } from './odb.js';
import { readPointer, writePointer, type Pointer } from './pointer.js';
import { findDvcRoot } from './root.js';

export interface Workspace {
  root: string;
  config: DvcConfig;
  cache: LocalCache;
}

export async function openWorkspace(start: string): Promise<Workspace> {
  const root = await findDvcRoot(start);
  const config = await readDvcConfig(root);
  return { root, config, cache: new LocalCache(config.cacheDir) };
}

const SKIP = new Set(['.git', '.dvc', 'node_modules']);

/** Every `*.dvc` pointer under the root (not inside .git, .dvc or node_modules). */
export async function findPointers(ws: Workspace): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !SKIP.has(e.name)) await walk(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.dvc')) found.push(join(dir, e.name));
    }
  };
  await walk(ws.root);
  return found.sort();
}

/**
 * The pointer that tracks a data path: PATH.dvc, else whichever pointer names
 * PATH (the repository's `data.dvc` tracks `data/penguins.json`), else PATH.dvc
 * as it would be written.
 */
async function pointerFileFor(ws: Workspace, dataPath: string): Promise<string> {
  const own = `${dataPath}.dvc`;
  const candidates = await findPointers(ws);
  if (candidates.includes(own)) return own;
  for (const file of candidates) {
    try {
      if ((await readPointer(file)).dataPath === dataPath) return file;
    } catch {
      // an unreadable pointer tracks nothing we can match
    }
  }
  return own;
}

/** The pointers the user named (a data path or its .dvc), or all of them. */
export async function resolveTargets(ws: Workspace, targets: readonly string[]): Promise<Pointer[]> {
  const files = targets.length
    ? await Promise.all(
        targets.map((t) => (t.endsWith('.dvc') ? resolve(t) : pointerFileFor(ws, resolve(t).replace(/[\\/]+$/, '')))),
      )
    : await findPointers(ws);
  if (!files.length)
    throw new PipelineError('data', `${ws.root}: no .dvc pointer files`, { hint: 'Track data with `mlops data add PATH`.' });
  return Promise.all(files.map((f) => readPointer(f)));
}

/** `.dir` entries of a directory pointer, from the cache. */
export async function dirEntries(ws: Workspace, oid: string): Promise<DirEntry[]> {
  return parseDirObject(await ws.cache.read(oid), ws.cache.path(oid));
}

/** Every object a pointer needs: its own and, for a directory, each file's. */
export async function objectsOf(ws: Workspace, pointer: Pointer, { withEntries = true } = {}): Promise<string[]> {
  const oid = pointer.out.md5;
  if (!oid.endsWith('.dir') || !withEntries) return [oid];
  return [oid, ...(await dirEntries(ws, oid)).map((e) => e.md5)];
}

async function addToGitignore(file: string, lines: readonly string[]): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // a new .gitignore
  }
  const present = new Set(text.split(/\r?\n/));
  const missing = lines.filter((l) => !present.has(l));
  if (!missing.length) return;
  await writeFileAtomic(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
}

export interface AddResult {
  pointer: string;
  md5: string;
  size: number;
  nfiles?: number;
}

/** `dvc add PATH`: hash it, store it in the cache, write PATH.dvc, git-ignore PATH. */
export async function addData(ws: Workspace, target: string): Promise<AddResult> {
  const dataPath = resolve(target).replace(/[\\/]+$/, '');
  const rel = relative(ws.root, dataPath);
  if (rel.startsWith('..') || rel === '' || rel.split(sep)[0] === '.dvc')
    throw new PipelineError('data', `${target}: outside the DVC repository at ${ws.root}`);
  const hashed = await hashPath(dataPath);
  if (hashed.kind === 'file') await ws.cache.putFile(hashed.md5, dataPath);
  else {
    for (let i = 0; i < hashed.entries.length; i++)
      await ws.cache.putFile(hashed.entries[i]!.md5, hashed.paths[i]!);
    await ws.cache.putBytes(hashed.md5, hashed.object);
  }
  // Re-adding tracked data updates the pointer that tracks it, as the hint of a
  // stale pointer tells the user to; a second pointer to the same path would
  // leave the one mlops.yaml names stale.
  const pointerFile = await pointerFileFor(ws, dataPath);
  let previous;
  try {
    previous = (await readPointer(pointerFile)).doc;
  } catch {
    // no pointer yet (or an unreadable one, which is replaced)
  }
  await writePointer(
    pointerFile,
    {
      md5: hashed.md5,
      size: hashed.size,
      nfiles: hashed.kind === 'dir' ? hashed.nfiles : undefined,
      path: relative(dirname(pointerFile), dataPath).split(sep).join('/'),
    },
    previous,
  );
  await addToGitignore(join(dirname(dataPath), '.gitignore'), [`/${basename(dataPath)}`]);
  // What `dvc init` would have written, so the cache never lands in git.
  await addToGitignore(join(ws.root, '.dvc', '.gitignore'), ['/config.local', '/tmp', '/cache']);
  return {
    pointer: pointerFile,
    md5: hashed.md5,
    size: hashed.size,
    nfiles: hashed.kind === 'dir' ? hashed.nfiles : undefined,
  };
}

export type DataState = 'in sync' | 'modified' | 'missing';

export interface StatusEntry {
  pointer: string;
  path: string;
  state: DataState;
  /** The hash of what is in the workspace, when it differs. */
  actual?: string;
  inCache: boolean;
}

export async function dataStatus(ws: Workspace, pointers: readonly Pointer[]): Promise<StatusEntry[]> {
  const out: StatusEntry[] = [];
  for (const p of pointers) {
    const entry = { pointer: p.file, path: p.dataPath, inCache: await ws.cache.has(p.out.md5) };
    try {
      await stat(p.dataPath);
    } catch {
      out.push({ ...entry, state: 'missing' });
      continue;
    }
    const hashed = await hashPath(p.dataPath);
    out.push(hashed.md5 === p.out.md5 ? { ...entry, state: 'in sync' } : { ...entry, state: 'modified', actual: hashed.md5 });
  }
  return out;
}

async function copyOut(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempBeside(target);
  try {
    await copyFile(source, tmp);
    // Cache objects are read-only; the workspace copy is the user's to edit.
    await chmod(tmp, 0o644);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Put a pointer's data from the cache into the workspace. A file is renamed into
 * place and a directory swapped in whole, so a failure leaves the old data.
 * A workspace copy that differs from the pointer is replaced only with `force`.
 */
export async function checkout(ws: Workspace, pointer: Pointer, { force = false } = {}): Promise<'written' | 'unchanged'> {
  const oid = pointer.out.md5;
  let exists = true;
  try {
    await stat(pointer.dataPath);
  } catch {
    exists = false;
  }
  if (exists) {
    const hashed = await hashPath(pointer.dataPath);
    if (hashed.md5 === oid) return 'unchanged';
    if (!force)
      throw new PipelineError(
        'data',
        `${relative(ws.root, pointer.dataPath)}: has local changes (md5 ${hashed.md5}, ${relative(ws.root, pointer.file)} records ${oid}); not overwritten`,
        { hint: 'Keep them with `mlops data add`, or discard them with `mlops data pull --force`.' },
      );
  }
  if (!oid.endsWith('.dir')) {
    if (exists && (await stat(pointer.dataPath)).isDirectory()) await rm(pointer.dataPath, { recursive: true });
    await copyOut(ws.cache.path(oid), pointer.dataPath);
    return 'written';
  }
  const entries = await dirEntries(ws, oid);
  await replaceDirAtomic(pointer.dataPath, async (dir) => {
    for (const e of entries) await copyOut(ws.cache.path(e.md5), join(dir, ...e.relpath.split('/')));
  });
  return 'written';
}
