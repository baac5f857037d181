/**
 * A DVC repository as the data commands see it: its root, config and cache, the
 * pointers in it, and what add, checkout and status do with them.
 */
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../../errors.js';
import { replaceDirAtomic, writeFileAtomic } from '../../util/files.js';
import { readDvcConfig, type DvcConfig } from './config.js';
import { confine, resolveReal } from './confine.js';
import { hashPath, parseDirObject, type DirEntry } from './hash.js';
import { LocalCache, type ObjectSet } from './odb.js';
import { readPointer, writePointer, type Pointer } from './pointer.js';
import { findDvcRoot } from './root.js';
import { removeStale, tempPath } from '../../storage/temp.js';

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

/** Every pointer file with the data path it names (undefined: unreadable), in findPointers' order. */
export type PointerIndex = Map<string, string | undefined>;

/**
 * What every pointer names, read once: a command that adds many paths passes
 * it to each addData, which would otherwise walk the repository and read
 * every pointer again for each path.
 */
export async function indexPointers(ws: Workspace): Promise<PointerIndex> {
  const index: PointerIndex = new Map();
  for (const file of await findPointers(ws)) {
    try {
      index.set(file, (await readPointer(file)).dataPath);
    } catch {
      index.set(file, undefined); // an unreadable pointer tracks nothing we can match
    }
  }
  return index;
}

/**
 * The pointer that tracks a data path: PATH.dvc, else whichever pointer names
 * PATH (the repository's `data.dvc` tracks `data/penguins.json`), else PATH.dvc
 * as it would be written.
 */
async function pointerFileFor(
  ws: Workspace,
  dataPath: string,
  index?: PointerIndex,
): Promise<string> {
  const own = `${dataPath}.dvc`;
  const pointers = index ?? (await indexPointers(ws));
  if (pointers.has(own)) return own;
  for (const [file, named] of pointers) if (named === dataPath) return file;
  return own;
}

/** The pointers the user named (a data path or its .dvc), or all of them. */
export async function resolveTargets(
  ws: Workspace,
  targets: readonly string[],
): Promise<Pointer[]> {
  const files = targets.length
    ? await Promise.all(
        targets.map((t) =>
          t.endsWith('.dvc') ? resolve(t) : pointerFileFor(ws, resolve(t).replace(/[\\/]+$/, '')),
        ),
      )
    : await findPointers(ws);
  if (!files.length)
    throw new PipelineError('data', `${ws.root}: no .dvc pointer files`, {
      hint: 'Track data with `mlops data add PATH`.',
    });
  return Promise.all(files.map((f) => readPointer(f)));
}

/** `.dir` entries of a directory pointer, from the cache. */
export async function dirEntries(ws: Workspace, pointer: Pointer): Promise<DirEntry[]> {
  const oid = pointer.out.md5;
  const label = `${relative(ws.root, pointer.file)}: directory object ${oid}`;
  return parseDirObject(await ws.cache.read(oid, pointer.kind), label);
}

function repository(ws: Workspace) {
  return { root: ws.root, name: 'the repository' };
}

/**
 * The data path a pointer names, where checkout may write it: inside the
 * repository once symlinks are followed, not the repository itself, and not in
 * `.git` or `.dvc`. DVC 3 has no outputs outside the repository either.
 */
export async function outputPath(ws: Workspace, pointer: Pointer): Promise<string> {
  const origin = `${relative(ws.root, pointer.file)}: path ${JSON.stringify(pointer.out.path)}`;
  await checkOutput(ws, pointer.dataPath, origin);
  return pointer.dataPath;
}

async function checkOutput(ws: Workspace, path: string, origin: string): Promise<void> {
  const real = await confine(repository(ws), path, origin);
  const parts = relative(await resolveReal(ws.root), real).split(sep);
  if (parts[0] === '.dvc' || parts.includes('.git'))
    throw new PipelineError(
      'data',
      `${origin} is inside ${parts[0] === '.dvc' ? '.dvc/' : '.git/'}, which data may not replace; nothing was written`,
    );
}

/** Every object a pointer needs: its own and, for a directory, each file's, all of the pointer's hash kind. */
export async function objectsOf(ws: Workspace, pointer: Pointer): Promise<ObjectSet> {
  const oid = pointer.out.md5;
  const kind = pointer.kind;
  if (!oid.endsWith('.dir')) return { kind, oids: [oid] };
  return { kind, oids: [oid, ...(await dirEntries(ws, pointer)).map((e) => e.md5)] };
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
  await writeFileAtomic(
    file,
    `${text}${text && !text.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`,
  );
}

export interface AddResult {
  pointer: string;
  md5: string;
  size: number;
  nfiles?: number;
}

/**
 * `dvc add PATH`: hash it, store it in the cache, write PATH.dvc, git-ignore PATH.
 * Always in DVC 3's format (`hash: md5`, `files/md5/` layout): re-adding data
 * a DVC 2 pointer tracks moves it to DVC 3, as `dvc add` does for changed
 * data and `dvc cache migrate --dvc-files` for the rest.
 */
export async function addData(
  ws: Workspace,
  target: string,
  index?: PointerIndex,
): Promise<AddResult> {
  const dataPath = resolve(target).replace(/[\\/]+$/, '');
  await checkOutput(ws, dataPath, target);
  const hashed = await hashPath(dataPath, 'md5');
  if (hashed.kind === 'file') await ws.cache.putFile(hashed.md5, dataPath, 'md5');
  else {
    for (let i = 0; i < hashed.entries.length; i++)
      await ws.cache.putFile(hashed.entries[i]!.md5, hashed.paths[i]!, 'md5');
    await ws.cache.putBytes(hashed.md5, hashed.object, 'md5');
  }
  // Re-adding tracked data updates the pointer that tracks it, as the hint of a
  // stale pointer tells the user to; a second pointer to the same path would
  // leave the one mlops.yaml names stale.
  const pointerFile = await pointerFileFor(ws, dataPath, index);
  const gitignore = join(dirname(dataPath), '.gitignore');
  await confine(repository(ws), pointerFile, `${target}: its pointer ${pointerFile}`);
  await confine(repository(ws), gitignore, `${target}: ${gitignore}`);
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
  index?.set(pointerFile, dataPath);
  await addToGitignore(gitignore, [`/${basename(dataPath)}`]);
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

export async function dataStatus(
  ws: Workspace,
  pointers: readonly Pointer[],
): Promise<StatusEntry[]> {
  const out: StatusEntry[] = [];
  for (const p of pointers) {
    const entry = {
      pointer: p.file,
      path: p.dataPath,
      inCache: await ws.cache.has(p.out.md5, p.kind),
    };
    try {
      await stat(p.dataPath);
    } catch {
      out.push({ ...entry, state: 'missing' });
      continue;
    }
    const hashed = await hashPath(p.dataPath, p.kind);
    out.push(
      hashed.md5 === p.out.md5
        ? { ...entry, state: 'in sync' }
        : { ...entry, state: 'modified', actual: hashed.md5 },
    );
  }
  return out;
}

/**
 * Copy a cache object out to `target` through a temporary file in `scratch`
 * (a folder git ignores), renamed into place.
 */
async function copyOut(source: string, target: string, scratch?: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPath(target, scratch);
  try {
    await copyFile(source, tmp);
    // Cache objects are read-only; the workspace copy is the user's to edit.
    await chmod(tmp, 0o644);
    await rename(tmp, target).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // The data is on another filesystem than .dvc/tmp: stage beside it instead.
      await copyOut(source, target);
    });
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Remove what killed pulls left behind: temporary objects in the cache,
 * checkouts in `.dvc/tmp`, and temporary copies beside the pointers' data.
 * Only names of ours whose process is gone are touched.
 */
export async function removeStaleTemps(ws: Workspace, pointers: readonly Pointer[]): Promise<void> {
  await ws.cache.removeStale();
  const tmp = join(ws.root, '.dvc', 'tmp');
  // What is removed is inside .dvc/tmp: that folder itself must not lead out.
  await confine(repository(ws), join(tmp, 'x'), '.dvc/tmp');
  await removeStale(tmp);
  for (const p of pointers) {
    await outputPath(ws, p);
    await removeStale(dirname(p.dataPath));
  }
}

/**
 * A folder for one process's checkouts, under `.dvc/tmp` (which DVC and
 * `.dvc/.gitignore` keep out of git), named so a later pull can remove it
 * when this process was killed.
 */
export async function openScratch(ws: Workspace): Promise<{ dir: string; close(): Promise<void> }> {
  const tmp = join(ws.root, '.dvc', 'tmp');
  await addToGitignore(join(ws.root, '.dvc', '.gitignore'), ['/config.local', '/tmp', '/cache']);
  const dir = tempPath(join(tmp, 'checkout'));
  await confine(repository(ws), dir, '.dvc/tmp');
  await mkdir(dir, { recursive: true });
  return { dir, close: () => rm(dir, { recursive: true, force: true }) };
}

function cannotWrite(ws: Workspace, path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof PipelineError || !code) return error;
  return new PipelineError('data', `${relative(ws.root, path)}: cannot write the data (${code})`, {
    cause: error,
  });
}

/**
 * Put a pointer's data from the cache into the workspace. A file is renamed into
 * place and a directory swapped in whole, so a failure leaves the old data.
 * A workspace copy that differs from the pointer is replaced only with `force`.
 * Nothing is written outside the repository (see outputPath).
 */
export async function checkout(
  ws: Workspace,
  pointer: Pointer,
  { force = false, scratch }: { force?: boolean; scratch?: string } = {},
): Promise<'written' | 'unchanged'> {
  const oid = pointer.out.md5;
  const dataPath = await outputPath(ws, pointer);
  let exists = true;
  try {
    await stat(dataPath);
  } catch {
    exists = false;
  }
  if (exists) {
    const hashed = await hashPath(dataPath, pointer.kind);
    if (hashed.md5 === oid) return 'unchanged';
    if (!force)
      throw new PipelineError(
        'data',
        `${relative(ws.root, dataPath)}: has local changes (md5 ${hashed.md5}, ${relative(ws.root, pointer.file)} records ${oid}); not overwritten`,
        {
          hint: 'Keep them with `mlops data add`, or discard them with `mlops data pull --force`.',
        },
      );
  }
  try {
    if (!oid.endsWith('.dir')) {
      if (exists && (await stat(dataPath)).isDirectory()) await rm(dataPath, { recursive: true });
      await copyOut(ws.cache.path(oid, pointer.kind), dataPath, scratch);
      return 'written';
    }
    const entries = await dirEntries(ws, pointer);
    const fill = async (dir: string) => {
      for (const e of entries)
        await copyOut(ws.cache.path(e.md5, pointer.kind), join(dir, ...e.relpath.split('/')));
    };
    await replaceDirAtomic(dataPath, fill, scratch).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await replaceDirAtomic(dataPath, fill);
    });
    return 'written';
  } catch (error) {
    throw cannotWrite(ws, dataPath, error);
  }
}
