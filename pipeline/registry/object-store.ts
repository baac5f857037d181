/**
 * The storage under the registry: named objects with a generation, and writes
 * that can be made conditional on the generation a reader saw. That one
 * primitive (compare-and-swap) is what lets two promotions race without losing
 * one: GCS gives it natively (ifGenerationMatch), the local store emulates it.
 */
import { PipelineError } from '../errors.js';

export interface StoredObject {
  data: Buffer;
  /** Opaque token that changes whenever the object is replaced. */
  generation: string;
}

export interface WriteOptions {
  /**
   * Write only if the object is still at this generation; `null` means only if
   * it does not exist yet. Omitted: write unconditionally.
   */
  ifGeneration?: string | null;
}

export interface ObjectStore {
  /** Where the objects live, as the user names it (a path or gs://bucket/prefix). */
  readonly url: string;
  read(key: string): Promise<StoredObject | undefined>;
  /** Returns the new generation; throws PreconditionFailed when the condition does not hold. */
  write(key: string, data: Uint8Array | string, options?: WriteOptions): Promise<string>;
  /** Keys under a prefix (which ends with "/"), relative to the store. */
  list(prefix: string): Promise<string[]>;
}

/** A conditional write lost a race: someone else wrote the object first. */
export class PreconditionFailed extends Error {
  override readonly name = 'PreconditionFailed';
  constructor(readonly key: string) {
    super(`${key}: changed since it was read`);
  }
}

/**
 * A conditional write could not take the object's lock: another live process
 * held it for longer than a write waits. The user's to resolve (wait for it or
 * stop it), so a PipelineError; the registry names the alias it guards.
 */
export class ObjectLocked extends PipelineError {
  constructor(
    readonly key: string,
    /** The lock, as a path the user can look at. */
    readonly lockFile: string,
    /** Who holds it: "pid 123 on host ci-7 since <time>", as far as it is known. */
    readonly holder: string,
    readonly waitedMs: number,
    readonly staleMs: number,
  ) {
    super(
      'remote',
      `${key}: locked by ${holder} (lock ${lockFile}); gave up after ${waitedMs / 1000} s`,
      { hint: lockHint(staleMs) },
    );
  }
}

function lockHint(staleMs: number): string {
  return `Retry once that process has finished. A lock is broken ${staleMs / 1000} s after its holder stops refreshing it, so only a process that is still running can hold it this long; if it is stuck, stop it.`;
}

/** Object keys are slash-separated names with no empty, "." or ".." parts. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (!key || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new Error(`invalid object key "${key}"`);
  return key;
}
