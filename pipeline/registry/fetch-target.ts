/**
 * The folder `registry fetch` writes a bundle into. It fills a new folder or an
 * empty one, or finds the same files there already; it never deletes or
 * replaces what it did not write, so any other content is refused, named.
 *
 * A new folder is filled under a temporary name beside it and renamed into
 * place, so it appears whole. An existing empty folder (the current one, a
 * mount point, one whose owner or mode the user chose) is kept as it is: the
 * files are written into a temporary folder inside it, on the same filesystem
 * whatever is mounted where, then linked in one by one. Whatever fails, the
 * temporary folder and every file linked so far are removed again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PipelineError } from '../errors.js';

/** The files a folder must hold, in the order they are placed (the last one marks it complete). */
export type ExpectedFiles = Record<string, { sha256: string; size: number }>;

const HINT = 'Fetch into a new or empty folder (--to DIR), or move what is there away first.';
const SHOWN = 5;

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** ENOTDIR says little to a user: it means a folder on the way is a file. */
function reason(error: unknown): string {
  const code = codeOf(error);
  if (code === 'ENOTDIR') return 'ENOTDIR: a folder on the way is a file';
  return code ?? (error as Error).message;
}

function cannot(path: string, doing: string, error: unknown): PipelineError {
  if (error instanceof PipelineError) return error;
  return new PipelineError('usage', `${path}: cannot ${doing} (${reason(error)})`, {
    cause: error,
  });
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Exactly the expected files, byte for byte (sizes first, so a different bundle is cheap to tell). */
async function holdsExactly(
  dir: string,
  entries: Dirent[],
  files: ExpectedFiles,
): Promise<boolean> {
  const names = Object.keys(files);
  if (entries.length !== names.length || !entries.every((e) => e.isFile() && e.name in files))
    return false;
  for (const name of names) {
    const info = await stat(join(dir, name));
    if (info.size !== files[name]!.size) return false;
  }
  for (const name of names)
    if ((await sha256Of(join(dir, name))) !== files[name]!.sha256) return false;
  return true;
}

/** What the folder holds, for a message: the model a bundle's metadata names, then the names. */
async function describe(dir: string, entries: Dirent[]): Promise<string> {
  const version = await readFile(join(dir, 'metadata.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { model_version?: unknown }).model_version)
    .catch(() => undefined);
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
  const more = names.length > SHOWN ? ` and ${names.length - SHOWN} more` : '';
  const list = `${names.slice(0, SHOWN).join(', ')}${more}`;
  return typeof version === 'string' ? `model ${version} (${list})` : list;
}

/** 'absent' or 'empty' to fill, 'same' when the files are there already; anything else is refused. */
async function inspect(dir: string, files: ExpectedFiles, what: string) {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw cannot(dir, 'look at the folder', error);
    // stat follows links: a link to nothing is still something the user put there.
    if (
      await lstat(dir).then(
        () => true,
        () => false,
      )
    )
      throw new PipelineError('usage', `${dir}: a symbolic link to nothing, not a folder`, {
        hint: HINT,
      });
    return 'absent' as const;
  }
  if (!isDirectory)
    throw new PipelineError('usage', `${dir}: a file, not a folder; it is left as it is`, {
      hint: HINT,
    });
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw cannot(dir, 'read the folder', error);
  }
  if (!entries.length) return 'empty' as const;
  if (await holdsExactly(dir, entries, files)) return 'same' as const;
  throw new PipelineError(
    'usage',
    `${dir}: holds ${await describe(dir, entries)}, not ${what}; a fetch writes only into a new or empty folder, so nothing was written or deleted`,
    { hint: HINT },
  );
}

async function writeAll(
  into: string,
  names: string[],
  read: (name: string) => Promise<Uint8Array>,
): Promise<void> {
  try {
    await mkdir(into);
  } catch (error) {
    throw cannot(into, 'create a temporary folder', error);
  }
  for (const name of names) {
    const data = await read(name);
    await writeFile(join(into, name), data).catch((error: unknown) => {
      throw cannot(join(into, name), 'write', error);
    });
  }
}

/** Remove the parents `mkdir -p` made (empty ones only: rmdir never removes content). */
async function removeCreated(parent: string, created: string | undefined): Promise<void> {
  if (!created) return;
  for (let dir = parent; dir.startsWith(created); dir = dirname(dir)) {
    if (
      !(await rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      return;
    if (dir === created) return;
  }
}

async function fillNew(
  dir: string,
  files: ExpectedFiles,
  what: string,
  read: (name: string) => Promise<Uint8Array>,
): Promise<boolean> {
  const parent = dirname(dir);
  let created: string | undefined;
  try {
    created = await mkdir(parent, { recursive: true });
  } catch (error) {
    throw cannot(parent, 'create the folder', error);
  }
  const staging = join(parent, `.${basename(dir)}.${randomBytes(4).toString('hex')}.new`);
  try {
    await writeAll(staging, Object.keys(files), read);
    try {
      await rename(staging, dir);
      return true;
    } catch (error) {
      if (codeOf(error) !== 'ENOTEMPTY' && codeOf(error) !== 'EEXIST')
        throw cannot(dir, 'rename the fetched folder into place', error);
    }
    // Filled meanwhile (another fetch of the same version, or the user): judged as any folder.
    if ((await inspect(dir, files, what)) !== 'same')
      throw new PipelineError('usage', `${dir}: changed while fetching; left as it is`);
    await rm(staging, { recursive: true, force: true });
    return false;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    await removeCreated(parent, created);
    throw error;
  }
}

/** Link (else copy) one file in; neither ever replaces a file that is there. */
async function place(from: string, to: string): Promise<void> {
  const appeared = () =>
    new PipelineError('usage', `${to}: appeared while fetching; left as it is`);
  try {
    await link(from, to);
    return;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') throw appeared();
    // A filesystem without hard links (FAT) says EPERM or ENOTSUP: copy instead.
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP'].includes(codeOf(error) ?? ''))
      throw cannot(to, 'write', error);
  }
  try {
    await copyFile(from, to, constants.COPYFILE_EXCL);
  } catch (error) {
    if (codeOf(error) === 'EEXIST') throw appeared();
    await rm(to, { force: true });
    throw cannot(to, 'write', error);
  }
}

async function fillEmpty(
  dir: string,
  files: ExpectedFiles,
  read: (name: string) => Promise<Uint8Array>,
): Promise<boolean> {
  const staging = join(dir, `.fetch.${randomBytes(4).toString('hex')}.new`);
  const placed: string[] = [];
  try {
    await writeAll(staging, Object.keys(files), read);
    for (const name of Object.keys(files)) {
      await place(join(staging, name), join(dir, name));
      placed.push(join(dir, name));
    }
    return true;
  } catch (error) {
    for (const path of placed) await rm(path, { force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Put `files` (each read with `read`, which checks it) into the folder `dir`.
 * False when the folder held exactly those files already (nothing is read);
 * `what` names them in the refusal of a folder holding anything else.
 */
export async function fillFolder(
  dir: string,
  files: ExpectedFiles,
  what: string,
  read: (name: string) => Promise<Uint8Array>,
): Promise<boolean> {
  const target = resolve(dir);
  const found = await inspect(target, files, what);
  if (found === 'same') return false;
  return found === 'absent' ? fillNew(target, files, what, read) : fillEmpty(target, files, read);
}
