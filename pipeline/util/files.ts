import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PipelineError } from '../errors.js';

/** Write to a temporary name beside the target and rename it into place. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    // Often a path the user named (--output, --write): a folder, a full disk.
    throw new PipelineError(
      'usage',
      `${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
}

/**
 * Fill a fresh directory with `fill`, then swap it in for `path`. A crash leaves
 * either the old directory or the new one in place (or the old one parked beside
 * it under a dot-name), never a half-written one.
 */
export async function replaceDirAtomic(
  path: string,
  fill: (dir: string) => Promise<void>,
  /** Folder for the new and the old copy while they are swapped (default: beside `path`); same filesystem as `path`. */
  scratch?: string,
): Promise<void> {
  const parent = dirname(path);
  await mkdir(parent, { recursive: true });
  const suffix = randomBytes(4).toString('hex');
  const staging = join(scratch ?? parent, `.${basename(path)}.${suffix}.new`);
  const parked = join(scratch ?? parent, `.${basename(path)}.${suffix}.old`);
  await mkdir(staging);
  try {
    await fill(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let hadOld = true;
  try {
    await rename(path, parked);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    hadOld = false;
  }
  await rename(staging, path);
  if (hadOld) await rm(parked, { recursive: true, force: true });
}
