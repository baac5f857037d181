/**
 * A store in a local folder (a disk, or a network mount that can stop
 * answering too). Each object is a file written to a temporary name and
 * renamed into place, so a reader sees the old bytes or the new ones. A
 * conditional write holds a lock on the key (proper-lockfile, which works
 * across processes and breaks the lock of a crashed one) while it compares
 * the generation and renames.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pRetry from 'p-retry';
import lockfile from 'proper-lockfile';
import { PipelineError } from '../errors.js';
import { collect } from './deadline.js';
import { PreconditionFailed, RemoteFailure } from './failure.js';
import { ObjectLocked, Store, type StoredObject, type StoreSettings } from './store.js';
import { tempPath } from './temp.js';

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

export interface LocalStoreSettings extends StoreSettings {
  /** The store as messages name it as a whole (default: the folder), e.g. `registry /srv/models`. */
  name?: string;
}

export class LocalStore extends Store {
  readonly name: string;
  readonly deniedHint = 'Check the permissions of the folder.';

  constructor(
    readonly root: string,
    settings: LocalStoreSettings = {},
  ) {
    super(settings);
    this.name = settings.name ?? root;
  }

  get url(): string {
    return this.root;
  }

  get endpoint(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  /** A store folder that is a file, unreadable or unwritable is the user's to fix: say which. */
  private async failure(path: string, doing: string, error: unknown): Promise<Error> {
    if (error instanceof PipelineError || error instanceof RemoteFailure) return error;
    const rootIsFile = await stat(this.root).then(
      (s) => !s.isDirectory(),
      () => false,
    );
    if (rootIsFile)
      return new PipelineError('remote', `${this.name}: is a file, not a folder`, {
        cause: error,
      });
    const code = codeOf(error);
    return new RemoteFailure(
      `${path}: cannot ${doing} (${code ?? (error as Error).message})`,
      code === 'ETIMEDOUT' ? 'silent' : code === 'EACCES' || code === 'EPERM' ? 'denied' : 'other',
      { cause: error },
    );
  }

  protected async existingOnce(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    await Promise.all(
      keys.map(async (key) => {
        try {
          if ((await stat(this.path(key))).isFile()) found.add(key);
        } catch {
          // absent
        }
      }),
    );
    return found;
  }

  protected async listOnce(prefix: string): Promise<string[]> {
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

  protected async readOnce(key: string): Promise<StoredObject | undefined> {
    const path = this.path(key);
    let data: Buffer;
    try {
      const handle = await open(path);
      // Read under the stall guard: a mount that stops answering is given up like a silent bucket.
      data = await collect(handle.createReadStream(), this.requestTimeout, path);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw await this.failure(path, 'read', error);
    }
    return { data, generation: generationOf(data) };
  }

  protected async writeOnce(
    key: string,
    data: Uint8Array,
    ifGeneration: string | null | undefined,
  ): Promise<string> {
    if (ifGeneration === undefined) {
      await this.place(this.path(key), (tmp) => writeFile(tmp, data));
      return generationOf(data);
    }
    const release = await this.lock(key);
    try {
      const current = await this.readOnce(key);
      if ((current?.generation ?? null) !== ifGeneration) throw new PreconditionFailed(key);
      await this.place(this.path(key), (tmp) => writeFile(tmp, data));
      return generationOf(data);
    } finally {
      await release();
    }
  }

  protected async uploadOnce(file: string, key: string, progress: () => void): Promise<void> {
    // Streamed rather than copyFile, so a slow mount reports progress and is not taken for a dead one.
    await this.place(this.path(key), (tmp) =>
      pipeline(
        createReadStream(file),
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            progress();
            done(null, chunk);
          },
        }),
        createWriteStream(tmp),
      ),
    );
  }

  /** Write `target` through `fill` into a temporary name beside it, then rename it into place. */
  private async place(target: string, fill: (tmp: string) => Promise<void>): Promise<void> {
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (error) {
      throw await this.failure(dirname(target), 'create the folder', error);
    }
    const tmp = tempPath(target);
    try {
      await fill(tmp);
      await rename(tmp, target);
    } catch (error) {
      throw await this.failure(target, 'write', error);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async download(key: string): Promise<Readable> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch (error) {
      const code = codeOf(error);
      throw new RemoteFailure(
        `${path}: ${code === 'ENOENT' ? 'not in the remote' : code}`,
        code === 'ENOENT' ? 'missing' : 'other',
      );
    }
    return createReadStream(path);
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
    await this.place(holderFile, (tmp) =>
      writeFile(tmp, `pid ${process.pid} on host ${hostname()} since ${since}\n`),
    ).catch(() => undefined);
    return async () => {
      await rm(holderFile, { force: true });
      await release();
    };
  }
}
