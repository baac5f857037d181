/**
 * The one deadline rule of every store: a store may stay silent about one
 * object for `timeout` (default 30 s, `--timeout` / MLOPS_REMOTE_TIMEOUT);
 * each request gets a third of it to answer, a transfer is cut when no byte
 * moves for that long, and a request that gets no answer is tried
 * SILENT_ATTEMPTS times in all (retry.ts). Neither the GCS client nor a
 * network mount notices a dead peer by itself: without these, one request
 * could wait for ever.
 */
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RemoteFailure } from './failure.js';

/** Requests in a row that may go unanswered before an object is given up. */
export const SILENT_ATTEMPTS = 3;
/** Default time a store may stay silent about one object, in ms: SILENT_ATTEMPTS requests of 10 s. */
export const DEFAULT_TIMEOUT = 30_000;
/** An upload attempt ends after this many ms plus one second per MB, however steadily it moves. */
export const UPLOAD_TIMEOUT = 120_000;

/** Milliseconds one request may wait for its answer, given the time a store may stay silent about an object. */
export function requestTimeoutFor(timeout = DEFAULT_TIMEOUT): number {
  return Math.max(1, Math.round(timeout / SILENT_ATTEMPTS));
}

export const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * Run `work`, cut when it reports no progress for `stall` ms (a silent failure
 * when nothing moved at all) or is not done within `cap` ms.
 */
export async function watched<T>(
  work: (progress: () => void) => Promise<T>,
  { stall, cap, what }: { stall: number; cap: number; what: string },
): Promise<T> {
  let stallTimer: NodeJS.Timeout | undefined;
  let reject!: (error: RemoteFailure) => void;
  const expired = new Promise<never>((_, r) => (reject = r));
  const arm = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(
      () => reject(new RemoteFailure(`${what}: no answer within ${seconds(stall)}`, 'silent')),
      stall,
    );
  };
  arm();
  const capTimer = setTimeout(
    () => reject(new RemoteFailure(`${what}: not done within ${seconds(cap)}`, 'transient')),
    cap,
  );
  try {
    return await Promise.race([work(arm), expired]);
  } finally {
    clearTimeout(stallTimer);
    clearTimeout(capTimer);
  }
}

/**
 * A pass-through to pipe `body` into that destroys it after `stall` ms without
 * a byte: a connection that dies without a FIN leaves a stream that never ends,
 * and an endpoint that never answers one that never starts. `onChunk` sees
 * every chunk on its way (to hash it, say).
 */
export function stallGuard(
  body: Readable,
  stall: number,
  what: string,
  onChunk?: (chunk: Buffer) => void,
): Transform {
  let timer: NodeJS.Timeout | undefined;
  let received = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        body.destroy(
          received
            ? new RemoteFailure(`${what}: no data for ${seconds(stall)}`, 'transient')
            : new RemoteFailure(`${what}: no answer within ${seconds(stall)}`, 'silent'),
        ),
      stall,
    );
  };
  arm();
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      received = true;
      arm();
      onChunk?.(chunk);
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(error, done) {
      clearTimeout(timer);
      done(error);
    },
  });
}

/** The whole of `body`, under the stall guard. */
export async function collect(body: Readable, stall: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    body,
    stallGuard(body, stall, what),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}
