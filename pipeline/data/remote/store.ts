/**
 * What a DVC remote is to us: keys (`files/md5/ab/cdef…`) under a root, whole
 * objects uploaded and downloaded. Each backend only moves bytes; retrying,
 * bounding and verifying live in transfer.ts, once for all of them.
 */
import type { Readable } from 'node:stream';

/** Requests in a row that may go unanswered before an object is given up. */
export const SILENT_ATTEMPTS = 3;
/** Default time a remote may stay silent about one object, in ms: SILENT_ATTEMPTS requests of 10 s. */
export const DEFAULT_TIMEOUT = 30_000;

export interface ObjectStore {
  /** For messages: gs://bucket/prefix or the folder. */
  readonly label: string;
  /** For messages: where the requests go (the API endpoint, or the folder). */
  readonly endpoint: string;
  /** Milliseconds a request may wait for an answer, or a transfer go without a byte, before it is abandoned. */
  readonly requestTimeout: number;
  /** Which of `keys` are present (one listing per two-hex prefix where the backend can list). */
  existing(keys: readonly string[]): Promise<Set<string>>;
  /** Upload a local file to `key`, calling `onProgress` as bytes go out. */
  upload(file: string, key: string, onProgress?: () => void): Promise<void>;
  /** The bytes of `key`; a missing object rejects with a `missing` RemoteFailure. */
  download(key: string): Promise<Readable>;
}

/**
 * A failure a backend classifies, so transfer.ts knows whether to try again:
 * `silent` is a request that got no answer in time, tried again only a few
 * times, so a remote that accepts connections and never answers is given up
 * in bounded time.
 */
export class RemoteFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'transient' | 'silent' | 'denied' | 'other',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Sort an HTTP or network error into a RemoteFailure: 404 missing, 401/403
 * denied, a request timeout silent, 408/429/5xx and dropped connections transient.
 */
export function classify(error: unknown, what: string): RemoteFailure {
  if (error instanceof RemoteFailure) return error;
  const e = error as { code?: number | string; message?: string; type?: string };
  const status = typeof e.code === 'number' ? e.code : Number(e.code);
  const message = `${what}: ${e.message ?? String(error)}`;
  // node-fetch (under gaxios) says `network timeout at: URL`, type request-timeout; a connect that gets no SYN-ACK is ETIMEDOUT.
  if (
    e.type === 'request-timeout' ||
    e.code === 'ETIMEDOUT' ||
    /network timeout/i.test(e.message ?? '')
  )
    return new RemoteFailure(message, 'silent', { cause: error });
  if (status === 404) return new RemoteFailure(message, 'missing', { cause: error });
  if (status === 401 || status === 403)
    return new RemoteFailure(message, 'denied', { cause: error });
  if (status === 408 || status === 429 || (status >= 500 && status < 600))
    return new RemoteFailure(message, 'transient', { cause: error });
  if (
    typeof e.code === 'string' &&
    /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_SOCKET)$/.test(
      e.code,
    )
  )
    return new RemoteFailure(message, 'transient', { cause: error });
  if (/socket hang up|premature close|aborted|timeout|network/i.test(e.message ?? ''))
    return new RemoteFailure(message, 'transient', { cause: error });
  return new RemoteFailure(message, 'other', { cause: error });
}
