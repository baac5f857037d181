/**
 * Temporary names for transfers and checkouts: `.<name>.tmp-<pid>-<random>`,
 * beside the file they become (so the rename into place is atomic), and
 * recognisable afterwards. A process killed mid-transfer leaves its temporary
 * files behind; the next pull removes those whose process is gone.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const TEMP = /^\..*\.tmp-(\d+)-[0-9a-f]{12}$/;

/** A temporary name for `path`, in `dir` (default: beside it, on the same filesystem). */
export function tempPath(path: string, dir = dirname(path)): string {
  return join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the temporary files and folders in `dir` left by processes that no longer run; how many went. */
export async function removeStale(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // no folder, nothing left in it
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
