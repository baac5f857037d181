/** A remote that is a folder: DVC's `url = /path` or a path relative to `.dvc/`. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tempPath } from '../dvc/temp.js';
import { RemoteFailure, type ObjectStore } from './store.js';

export class LocalStore implements ObjectStore {
  constructor(
    readonly root: string,
    /** A folder on a network mount can stop answering too. */
    readonly requestTimeout = 10_000,
  ) {}

  get label(): string {
    return this.root;
  }

  get endpoint(): string {
    return this.root;
  }

  private path(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async existing(keys: readonly string[]): Promise<Set<string>> {
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

  async upload(file: string, key: string, onProgress?: () => void): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = tempPath(target);
    try {
      // Streamed rather than copyFile, so a slow mount reports progress and is not taken for a dead one.
      const progress = new Transform({
        transform(chunk: Buffer, _enc, done) {
          onProgress?.();
          done(null, chunk);
        },
      });
      await pipeline(createReadStream(file), progress, createWriteStream(tmp));
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async download(key: string): Promise<Readable> {
    const path = this.path(key);
    try {
      await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new RemoteFailure(
        `${path}: ${code === 'ENOENT' ? 'not in the remote' : code}`,
        code === 'ENOENT' ? 'missing' : 'other',
      );
    }
    return createReadStream(path);
  }
}
