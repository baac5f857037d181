/**
 * What a DVC remote is to us: keys (`files/md5/ab/cdef…`) under a root, whole
 * objects uploaded and downloaded. Each backend only moves bytes; retrying,
 * bounding and verifying live in transfer.ts, once for all of them.
 */
import type { Readable } from 'node:stream';

export interface ObjectStore {
  /** For messages: gs://bucket/prefix or the folder. */
  readonly label: string;
  /** Which of `keys` are present (one listing per two-hex prefix where the backend can list). */
  existing(keys: readonly string[]): Promise<Set<string>>;
  /** Upload a local file to `key`. */
  upload(file: string, key: string): Promise<void>;
  /** The bytes of `key`; a missing object rejects with a `missing` RemoteFailure. */
  download(key: string): Promise<Readable>;
}

/** A failure a backend classifies, so transfer.ts knows whether to try again. */
export class RemoteFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'transient' | 'denied' | 'other',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
