/**
 * The one retry policy of every store, for data remotes and the registry
 * alike: 429, 5xx, dropped connections and cut transfers are tried again with
 * exponential backoff (5 retries from 200 ms, doubling up to 10 s, jittered); a
 * request that gets no answer is tried SILENT_ATTEMPTS times in all; bytes
 * that do not match are tried once more, each allowance counted apart from the
 * others; anything else fails at once. The GCS client's own retrying is turned
 * off (gcs.ts): two loops would multiply the waits.
 */
import pRetry from 'p-retry';
import { PipelineError } from '../errors.js';
import { seconds, SILENT_ATTEMPTS } from './deadline.js';
import { classify, PreconditionFailed, RemoteFailure } from './failure.js';

export interface RetryPolicy {
  /** Attempts after the first, for transient failures. */
  retries: number;
  /** First backoff in ms (doubles each attempt, up to 10 s). */
  minTimeout: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, minTimeout: 200 };

export interface RetryOptions extends Partial<RetryPolicy> {
  /** What to tell a user about an object that is not there, or whose bytes are wrong. */
  hints?: { missing?: string; corrupt?: string };
}

/** What the final error names: where the requests went, their deadline, and what to check when access is denied. */
export interface RetryTarget {
  readonly endpoint: string;
  readonly requestTimeout: number;
  readonly deniedHint: string;
}

/**
 * Errors that are answers, not failures, handed back unchanged: a PipelineError
 * (the user's to fix, e.g. a lock another process holds) and a lost
 * compare-and-swap, which the caller handles itself.
 */
function isFailure(error: unknown): boolean {
  return !(error instanceof PipelineError) && !(error instanceof PreconditionFailed);
}

export function retrying<T>(
  what: string,
  target: RetryTarget,
  fn: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRY.retries;
  // Each kind of failure has its own allowance, counted apart: a request that
  // gets no answer after three 503s is still asked SILENT_ATTEMPTS times, and
  // silences do not use up the retries of 5xx. p-retry's own bound is their sum.
  const failed = { silent: 0, corrupt: 0, transient: 0 };
  return pRetry(
    () =>
      fn().catch((error: unknown) => {
        throw isFailure(error) ? classify(error, what) : error;
      }),
    {
      retries: retries + (SILENT_ATTEMPTS - 1) + 1,
      minTimeout: options.minTimeout ?? DEFAULT_RETRY.minTimeout,
      maxTimeout: 10_000,
      factor: 2,
      randomize: true,
      onFailedAttempt: ({ error }) => {
        if (error instanceof RemoteFailure && error.kind in failed)
          failed[error.kind as keyof typeof failed]++;
      },
      // A truncated body hashes wrong too, so bad bytes are tried again before they are
      // called corrupt (once: a second bad hash means the object itself is bad).
      shouldRetry: ({ error }) =>
        error instanceof RemoteFailure &&
        (error.kind === 'silent'
          ? failed.silent < SILENT_ATTEMPTS
          : error.kind === 'corrupt'
            ? failed.corrupt < 2
            : error.kind === 'transient' && failed.transient <= retries),
    },
  ).catch((error: unknown) => {
    if (!(error instanceof RemoteFailure)) throw error;
    if (error.kind === 'silent')
      throw new PipelineError(
        'remote',
        `${what}: no answer from ${target.endpoint} (${failed.silent} request${failed.silent === 1 ? '' : 's'}, ${seconds(target.requestTimeout)} each)`,
        {
          cause: error,
          hint: `Check the network and the endpoint. To allow more time, pass --timeout SECONDS or set MLOPS_REMOTE_TIMEOUT (${seconds(target.requestTimeout * SILENT_ATTEMPTS)} now).`,
        },
      );
    const hint =
      error.kind === 'missing'
        ? options.hints?.missing
        : error.kind === 'corrupt'
          ? options.hints?.corrupt
          : error.kind === 'denied'
            ? target.deniedHint
            : undefined;
    throw new PipelineError('remote', error.message, { cause: error, hint });
  });
}
