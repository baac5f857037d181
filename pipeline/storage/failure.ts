/**
 * How one request to a store went wrong, sorted so the retry policy
 * (retry.ts) knows whether to try it again. A backend turns every failure of
 * a single attempt into one of these; only the policy turns them into the
 * PipelineError a user sees.
 */
export class RemoteFailure extends Error {
  constructor(
    message: string,
    /**
     * `silent`: no answer in time (tried again a few times, so an endpoint that
     * accepts connections and never answers costs a bounded time); `corrupt`:
     * bytes that do not match what they should be (a cut transfer does that too,
     * so tried once more); `transient`: worth trying again with backoff.
     */
    readonly kind: 'missing' | 'transient' | 'silent' | 'denied' | 'corrupt' | 'other',
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

/** A conditional write lost a race: someone else wrote the object first. */
export class PreconditionFailed extends Error {
  override readonly name = 'PreconditionFailed';
  constructor(readonly key: string) {
    super(`${key}: changed since it was read`);
  }
}
