/**
 * An object store in a local directory. Each object is a file written to a
 * temporary name and renamed into place, so a reader sees the old bytes or the
 * new ones. A conditional write holds a lock on the key (proper-lockfile, which
 * also works across processes and breaks the lock of a crashed one) while it
 * compares the generation and renames.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import lockfile from 'proper-lockfile';
import { writeFileAtomic } from '../util/files.js';
import {
  checkKey,
  PreconditionFailed,
  type ObjectStore,
  type StoredObject,
  type WriteOptions,
} from './object-store.js';

/**
 * The generation of a local object is the hash of its bytes: records written
 * through a conditional write carry their own history, so equal bytes mean an
 * equal state and comparing them is a sound compare-and-swap.
 */
function generationOf(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

export class LocalStore implements ObjectStore {
  constructor(readonly root: string) {}

  get url(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  async read(key: string): Promise<StoredObject | undefined> {
    let data: Buffer;
    try {
      data = await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
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
    await mkdir(dirname(path), { recursive: true });
    const release = await lockfile.lock(path, {
      realpath: false,
      lockfilePath: `${path}.lock`,
      stale: 10_000,
      retries: { retries: 100, minTimeout: 2, maxTimeout: 50, randomize: true },
    });
    try {
      const current = await this.read(key);
      if ((current?.generation ?? null) !== options.ifGeneration) throw new PreconditionFailed(key);
      await writeFileAtomic(path, bytes);
      return generationOf(bytes);
    } finally {
      await release();
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix ? this.path(prefix.replace(/\/$/, '')) : this.root;
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const keys: string[] = [];
    for (const entry of entries) {
      const name = entry.split(sep).pop()!;
      // Temporary files and locks are dot-names or end in .lock; they are not objects.
      if (name.startsWith('.') || name.endsWith('.lock')) continue;
      if (!(await stat(join(dir, entry))).isFile()) continue;
      keys.push(relative(this.root, join(dir, entry)).split(sep).join('/'));
    }
    return keys.sort();
  }
}
