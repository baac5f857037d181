/**
 * A store: named objects under a root (a folder, or a bucket and prefix),
 * each with a generation, read and written whole or streamed from a file.
 * Writes can be made conditional on the generation a reader saw: that one
 * primitive (compare-and-swap) lets two writers race without losing either;
 * GCS gives it natively (ifGenerationMatch), the local folder emulates it
 * with a lock and a rename.
 *
 * A backend implements single attempts; this class puts the one retry policy
 * (retry.ts) and deadline rule (deadline.ts) around them, so every caller,
 * whether a DVC remote or the registry, gets the same ones.
 */
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PipelineError } from '../errors.js';
import { requestTimeoutFor, UPLOAD_TIMEOUT, watched } from './deadline.js';
import { DEFAULT_RETRY, retrying, type RetryOptions, type RetryPolicy } from './retry.js';

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

export interface UploadOptions extends RetryOptions {
  /** Called as bytes go out. */
  onProgress?: () => void;
  /** An attempt that moves no byte for this many ms is cut and tried again (default: the request timeout). */
  stallTimeout?: number;
  /** An attempt not done after this many ms plus one second per MB is cut and tried again (default 120 s). */
  uploadTimeout?: number;
}

export interface StoreSettings {
  /** Milliseconds a request may wait for an answer, or a transfer go without a byte (default 10 s). */
  requestTimeout?: number;
  retry?: Partial<RetryPolicy>;
}

/** Object keys are slash-separated names with no empty, "." or ".." parts. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  if (!key || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new Error(`invalid object key "${key}"`);
  return key;
}

export abstract class Store {
  /** Where the objects live, as the user names it (a folder or gs://bucket/prefix). */
  abstract readonly url: string;
  /** Where the requests go (the API endpoint, or the folder). */
  abstract readonly endpoint: string;
  /** What to check when access is denied. */
  abstract readonly deniedHint: string;
  /** Milliseconds a request may wait for an answer, or a transfer go without a byte, before it is abandoned. */
  readonly requestTimeout: number;
  readonly retry: RetryPolicy;

  constructor(settings: StoreSettings = {}) {
    this.requestTimeout = settings.requestTimeout ?? requestTimeoutFor();
    this.retry = { ...DEFAULT_RETRY, ...settings.retry };
  }

  // Single attempts. A failure is a RemoteFailure (classified), a
  // PreconditionFailed, or a PipelineError the user must resolve.
  protected abstract existingOnce(keys: readonly string[]): Promise<Set<string>>;
  protected abstract listOnce(prefix: string): Promise<string[]>;
  protected abstract readOnce(key: string): Promise<StoredObject | undefined>;
  protected abstract writeOnce(
    key: string,
    data: Uint8Array,
    ifGeneration: string | null | undefined,
  ): Promise<string>;
  protected abstract uploadOnce(file: string, key: string, progress: () => void): Promise<void>;
  /**
   * The bytes of `key`, one request: a missing object fails with a `missing`
   * RemoteFailure. The caller reads it under stallGuard and retries the whole
   * with `retrying`, as only it knows what to check in the bytes.
   */
  abstract download(key: string): Promise<Readable>;

  /** Run `fn` under this store's retry policy (`options` may override it). */
  retrying<T>(what: string, fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
    return retrying(what, this, fn, {
      retries: options.retries ?? this.retry.retries,
      minTimeout: options.minTimeout ?? this.retry.minTimeout,
      hints: options.hints,
    });
  }

  /** Which of `keys` are present (one listing per folder where the backend can list). */
  existing(keys: readonly string[], options?: RetryOptions): Promise<Set<string>> {
    keys.forEach(checkKey);
    const what =
      keys.length === 1 ? `${this.url}/${keys[0]}` : `${this.url}: ${keys.length} objects`;
    return this.retrying(what, () => this.existingOnce(keys), options);
  }

  /** Keys under a prefix (empty, or ending with "/"), relative to the store, sorted. */
  list(prefix: string): Promise<string[]> {
    if (prefix) checkKey(prefix.replace(/\/$/, ''));
    return this.retrying(`${this.url}/${prefix}`, () => this.listOnce(prefix));
  }

  /** The object and its generation; undefined when there is none. */
  read(key: string): Promise<StoredObject | undefined> {
    checkKey(key);
    return this.retrying(`${this.url}/${key}`, () => this.readOnce(key));
  }

  /** Returns the new generation; throws PreconditionFailed when the condition does not hold. */
  write(key: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<string> {
    checkKey(key);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return this.retrying(`${this.url}/${key}`, () =>
      this.writeOnce(key, bytes, options.ifGeneration),
    );
  }

  /** Stream a local file to `key`, each attempt cut when it stalls or overruns. */
  async upload(file: string, key: string, options: UploadOptions = {}): Promise<void> {
    checkKey(key);
    const what = `${this.url}/${key}`;
    let size: number;
    try {
      ({ size } = await stat(file));
    } catch (error) {
      throw new PipelineError(
        'usage',
        `${file}: cannot read (${(error as NodeJS.ErrnoException).code})`,
        {
          cause: error,
        },
      );
    }
    const watch = {
      stall: options.stallTimeout ?? this.requestTimeout,
      cap: (options.uploadTimeout ?? UPLOAD_TIMEOUT) + size / 1000,
      what,
    };
    await this.retrying(
      what,
      () =>
        watched(
          (progress) =>
            this.uploadOnce(file, key, () => {
              progress();
              options.onProgress?.();
            }),
          watch,
        ),
      options,
    );
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
