/**
 * An object store in a local directory. Each object is a file written to a
 * temporary name and renamed into place, so a reader sees the old bytes or the
 * new ones. A conditional write holds a lock on the key (proper-lockfile, which
 * also works across processes and breaks the lock of a crashed one) while it
 * compares the generation and renames.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import pRetry from 'p-retry';
import lockfile from 'proper-lockfile';
import { PipelineError } from '../errors.js';
import { writeFileAtomic } from '../util/files.js';
import {
  checkKey,
  ObjectLocked,
  PreconditionFailed,
  type ObjectStore,
  type StoredObject,
  type WriteOptions,
} from './object-store.js';

/** A lock whose holder stopped refreshing it (proper-lockfile does so every 5 s) for this long is broken. */
const LOCK_STALE_MS = 10_000;
/**
 * How long a conditional write waits for a lock. A write holds it for
 * milliseconds; waiting past the stale time means a crashed holder's lock is
 * always broken first, so only a holder that is still running makes it fail.
 */
const LOCK_WAIT_MS = LOCK_STALE_MS + 2_000;

/**
 * The generation of a local object is the hash of its bytes: records written
 * through a conditional write carry their own history, so equal bytes mean an
 * equal state and comparing them is a sound compare-and-swap.
 */
function generationOf(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

export class LocalStore implements ObjectStore {
  constructor(readonly root: string) {}

  get url(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  /** A registry folder that is a file, unreadable or unwritable is the user's to fix: say which. */
  private async failure(path: string, doing: string, error: unknown): Promise<PipelineError> {
    const rootIsFile = await stat(this.root).then(
      (s) => !s.isDirectory(),
      () => false,
    );
    return new PipelineError(
      'remote',
      rootIsFile
        ? `registry ${this.root}: is a file, not a folder`
        : `${path}: cannot ${doing} (${codeOf(error) ?? (error as Error).message})`,
      { cause: error },
    );
  }

  async read(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw await this.failure(path, 'read', error);
    }
    return { data, generation: generationOf(data) };
  }

  async write(key: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<string> {
    const path = this.path(key);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (options.ifGeneration === undefined) {
      await writeFileAtomic(path, bytes);
      return generationOf(bytes);
    }
    const release = await this.lock(key);
    try {
      const current = await this.read(key);
      if ((current?.generation ?? null) !== options.ifGeneration) throw new PreconditionFailed(key);
      await writeFileAtomic(path, bytes);
      return generationOf(bytes);
    } finally {
      await release();
    }
  }

  /**
   * Hold the lock a conditional write of `key` takes, waiting for another
   * holder up to LOCK_WAIT_MS. Beside the lock, the holder leaves its name
   * (pid, host, since when) for whoever finds the lock taken.
   */
  async lock(key: string): Promise<() => Promise<void>> {
    const path = this.path(key);
    const lockFile = `${path}.lock`;
    // A dot-name, so listing skips it; proper-lockfile owns the lock folder itself.
    const holderFile = join(dirname(path), `.${basename(path)}.holder`);
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw await this.failure(dirname(path), 'create the folder', error);
    }
    let release: () => Promise<void>;
    try {
      release = await pRetry(
        () =>
          lockfile.lock(path, { realpath: false, lockfilePath: lockFile, stale: LOCK_STALE_MS }),
        {
          retries: Infinity,
          minTimeout: 2,
          maxTimeout: 100,
          randomize: true,
          maxRetryTime: LOCK_WAIT_MS,
          shouldRetry: ({ error }) => codeOf(error) === 'ELOCKED',
        },
      );
    } catch (error) {
      if (codeOf(error) !== 'ELOCKED') throw await this.failure(lockFile, 'take the lock', error);
      const holder = await readFile(holderFile, 'utf8').then(
        (text) => text.trim(),
        () => 'another process (it left no name beside the lock)',
      );
      throw new ObjectLocked(key, lockFile, holder, LOCK_WAIT_MS, LOCK_STALE_MS);
    }
    const since = new Date().toISOString();
    // Best effort: the name only helps a user who finds the lock taken.
    await writeFileAtomic(
      holderFile,
      `pid ${process.pid} on host ${hostname()} since ${since}\n`,
    ).catch(() => undefined);
    return async () => {
      await rm(holderFile, { force: true });
      await release();
    };
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix ? this.path(prefix.replace(/\/$/, '')) : this.root;
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw await this.failure(dir, 'list', error);
    }
    const keys: string[] = [];
    for (const entry of entries) {
      const name = entry.split(sep).pop()!;
      // Temporary files, holder names and locks are dot-names or end in .lock; they are not objects.
      if (name.startsWith('.') || name.endsWith('.lock')) continue;
      // Gone since the listing (a temporary file renamed away): not an object either.
      const info = await stat(join(dir, entry)).catch(() => undefined);
      if (!info?.isFile()) continue;
      keys.push(relative(this.root, join(dir, entry)).split(sep).join('/'));
    }
    return keys.sort();
  }
}
