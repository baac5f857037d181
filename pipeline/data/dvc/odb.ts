/**
 * DVC 3's object layout, shared by the cache and every remote:
 * `files/md5/<first two hex>/<rest>`, a directory object keeping its ".dir" suffix.
 * DVC 2's objects (md5-dos2unix) sit in the same root without the `files/md5/`
 * prefix, where DVC 3 still reads and writes them.
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
import { dirname, join, relative } from 'node:path';
import { PipelineError } from '../../errors.js';
import { confine } from './confine.js';
import { hashBytes, hashFile, type HashKind } from './dos2unix.js';
import { removeStale, tempPath } from '../../storage/temp.js';

const OID = /^[0-9a-f]{32}(\.dir)?$/;

/** Key of an object under a cache or remote root, with `/` separators. */
export function objectKey(oid: string, kind: HashKind = 'md5'): string {
  if (!OID.test(oid)) throw new PipelineError('data', `"${oid}" is not an md5 object id`);
  const key = `${oid.slice(0, 2)}/${oid.slice(2)}`;
  return kind === 'md5' ? `files/md5/${key}` : key;
}

/** Objects of one hash kind, which decides their key and how their bytes are checked. */
export interface ObjectSet {
  kind: HashKind;
  oids: readonly string[];
}

/** The md5 an object's bytes must have: the oid without ".dir". */
export function expectedMd5(oid: string): string {
  return oid.replace(/\.dir$/, '');
}

/** The local cache (`.dvc/cache`): objects are read-only once written, as DVC leaves them. */
export class LocalCache {
  constructor(readonly dir: string) {}

  path(oid: string, kind: HashKind): string {
    return join(this.dir, ...objectKey(oid, kind).split('/'));
  }

  /**
   * Where `oid` is written, checked to resolve inside the cache folder (a
   * symlinked object folder must not carry writes elsewhere), its folder made.
   */
  async writable(oid: string, kind: HashKind): Promise<string> {
    const target = this.path(oid, kind);
    await confine({ root: this.dir, name: 'the cache' }, target, `object ${oid}`);
    await mkdir(dirname(target), { recursive: true });
    return target;
  }

  /** Remove temporary files that killed transfers left in the object folders of both layouts (not through a symlinked one). */
  async removeStale(): Promise<number> {
    return (
      (await this.removeStaleIn(join(this.dir, 'files', 'md5'))) +
      (await this.removeStaleIn(this.dir))
    );
  }

  private async removeStaleIn(top: string): Promise<number> {
    await confine(
      { root: this.dir, name: 'the cache' },
      join(top, 'x'),
      relative(this.dir, top) || '.',
    );
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

  async has(oid: string, kind: HashKind): Promise<boolean> {
    try {
      return (await stat(this.path(oid, kind))).isFile();
    } catch {
      return false;
    }
  }

  /** Copy `source` in under `oid` (skipped when present), checking its md5 on the way. */
  async putFile(oid: string, source: string, kind: HashKind): Promise<void> {
    if (await this.has(oid, kind)) return;
    const target = await this.writable(oid, kind);
    const tmp = tempPath(target);
    try {
      await copyFile(source, tmp);
      const md5 = await hashFile(tmp, kind);
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

  async putBytes(oid: string, bytes: Uint8Array, kind: HashKind): Promise<void> {
    if (await this.has(oid, kind)) return;
    if (hashBytes(bytes, kind) !== expectedMd5(oid)) throw new Error(`bytes do not hash to ${oid}`);
    const target = await this.writable(oid, kind);
    const tmp = tempPath(target);
    try {
      await writeFile(tmp, bytes, { mode: 0o444 });
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Re-hash a cached object; a mismatch removes it, so a later pull fetches it again. */
  async verify(oid: string, kind: HashKind): Promise<boolean> {
    const ok = (await hashFile(this.path(oid, kind), kind)) === expectedMd5(oid);
    if (!ok) await rm(this.path(oid, kind), { force: true });
    return ok;
  }

  async read(oid: string, kind: HashKind): Promise<Buffer> {
    return readFile(this.path(oid, kind));
  }
}
