/**
 * DVC 3's object layout, shared by the cache and every remote:
 * `files/md5/<first two hex>/<rest>`, a directory object keeping its ".dir" suffix.
 */
import {
  chmod,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PipelineError } from '../../errors.js';
import { md5File } from '../../util/hash.js';
import { confine } from './confine.js';
import { md5Hex } from './hash.js';
import { removeStale, tempPath } from '../../storage/temp.js';

const OID = /^[0-9a-f]{32}(\.dir)?$/;

/** Key of an object under a cache or remote root, with `/` separators. */
export function objectKey(oid: string): string {
  if (!OID.test(oid)) throw new PipelineError('data', `"${oid}" is not an md5 object id`);
  return `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** The md5 an object's bytes must have: the oid without ".dir". */
export function expectedMd5(oid: string): string {
  return oid.replace(/\.dir$/, '');
}

/** The local cache (`.dvc/cache`): objects are read-only once written, as DVC leaves them. */
export class LocalCache {
  constructor(readonly dir: string) {}

  path(oid: string): string {
    return join(this.dir, ...objectKey(oid).split('/'));
  }

  /**
   * Where `oid` is written, checked to resolve inside the cache folder (a
   * symlinked object folder must not carry writes elsewhere), its folder made.
   */
  async writable(oid: string): Promise<string> {
    const target = this.path(oid);
    await confine({ root: this.dir, name: 'the cache' }, target, `object ${oid}`);
    await mkdir(dirname(target), { recursive: true });
    return target;
  }

  /** Remove temporary files that killed transfers left in the object folders (not through a symlinked one). */
  async removeStale(): Promise<number> {
    const top = join(this.dir, 'files', 'md5');
    await confine({ root: this.dir, name: 'the cache' }, join(top, 'x'), 'files/md5');
    let folders;
    try {
      folders = await readdir(top, { withFileTypes: true });
    } catch {
      return 0;
    }
    let removed = 0;
    for (const f of folders)
      if (f.isDirectory() && /^[0-9a-f]{2}$/.test(f.name))
        removed += await removeStale(join(top, f.name));
    return removed;
  }

  async has(oid: string): Promise<boolean> {
    try {
      return (await stat(this.path(oid))).isFile();
    } catch {
      return false;
    }
  }

  /** Copy `source` in under `oid` (skipped when present), checking its md5 on the way. */
  async putFile(oid: string, source: string): Promise<void> {
    if (await this.has(oid)) return;
    const target = await this.writable(oid);
    const tmp = tempPath(target);
    try {
      await copyFile(source, tmp);
      const md5 = await md5File(tmp);
      if (md5 !== expectedMd5(oid))
        throw new PipelineError(
          'data',
          `${source}: changed while it was being stored (md5 ${md5}, expected ${expectedMd5(oid)})`,
        );
      await chmod(tmp, 0o444);
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async putBytes(oid: string, bytes: Uint8Array): Promise<void> {
    if (await this.has(oid)) return;
    if (md5Hex(bytes) !== expectedMd5(oid)) throw new Error(`bytes do not hash to ${oid}`);
    const target = await this.writable(oid);
    const tmp = tempPath(target);
    try {
      await writeFile(tmp, bytes, { mode: 0o444 });
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Re-hash a cached object; a mismatch removes it, so a later pull fetches it again. */
  async verify(oid: string): Promise<boolean> {
    const ok = (await md5File(this.path(oid))) === expectedMd5(oid);
    if (!ok) await rm(this.path(oid), { force: true });
    return ok;
  }

  async read(oid: string): Promise<Buffer> {
    return readFile(this.path(oid));
  }
}
