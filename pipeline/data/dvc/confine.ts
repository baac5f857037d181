/**
 * Where the data layer may write. A pointer's `path`, a `.dir` entry or a
 * configured folder comes from files a pull request can change, so every path
 * written is first resolved as the operating system would resolve it (symlinks
 * followed, through the nearest ancestor that exists) and refused unless it
 * stays inside the area it belongs to: the repository, or the cache.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../../errors.js';

interface Area {
  /** The folder writes must stay in. */
  root: string;
  /** For messages: "the repository", "the cache". */
  name: string;
}

/** `path` with every symlink of its existing part followed; the part that does not exist yet is appended as written. */
export async function resolveReal(path: string): Promise<string> {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(await realpath(at), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: not there yet; ENOTDIR: a file where a folder would be (the write then fails, named).
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(at);
      if (parent === at) return join(at, ...missing.reverse());
      missing.push(basename(at));
      at = parent;
    }
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Refuse a write to `target` that would land outside `area` (or on the area's
 * root itself). `origin` says where the path came from, for the message:
 * `data/rows.csv.dvc: path "../rows.csv"`. Returns the resolved path.
 *
 * The folders leading to `target` are resolved, not `target` itself: every
 * writer renames over its last component (a symlink there is replaced, never
 * written through), while a symlinked folder on the way would carry the write
 * wherever it points.
 */
export async function confine(
  area: Area,
  target: string,
  origin: string,
  hint?: string,
): Promise<string> {
  const root = await resolveReal(area.root);
  const lexical = resolve(target);
  const real = join(await resolveReal(dirname(lexical)), basename(lexical));
  if (inside(root, real) && lexical !== resolve(area.root)) return real;
  const where = `${area.name} (${area.root})`;
  const message =
    real === root || lexical === resolve(area.root)
      ? `${origin} names ${where} itself; nothing was written`
      : inside(resolve(area.root), lexical)
        ? `${origin} leads through a symbolic link to ${real}, outside ${where}; nothing was written`
        : `${origin} is outside ${where}; nothing was written`;
  throw new PipelineError('data', message, {
    hint:
      hint ??
      'mlops writes data only inside the repository: make the path relative and inside it, with no symbolic link leading out.',
  });
}
