/**
 * How long a client may take and how many may be connected at once. A client
 * that sends part of a request and stalls holds a socket, and so a file
 * descriptor; without bounds enough of them (1,100 under the common limit of
 * 1,024 descriptors) leave the process unable to accept anyone or to open the
 * files of a model reload. Stalled requests are therefore cut off, and the
 * connection count is kept below the descriptor limit.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';

export interface ConnectionLimits {
  /** Time from a connection's first byte to the end of the request headers (ms). */
  headersTimeout: number;
  /** Time from a request's first byte to the end of its body (ms). */
  requestTimeout: number;
  /** How long an idle keep-alive connection is kept (ms). */
  keepAliveTimeout: number;
  /** Most connections open at once; more are refused until some close. */
  maxConnections: number;
  /** On close(), how long requests still in flight may take before their connections are cut (ms). */
  shutdownGrace: number;
}

export const HEADERS_TIMEOUT_DEFAULT = 10_000;
export const REQUEST_TIMEOUT_DEFAULT = 30_000;
export const KEEP_ALIVE_TIMEOUT_DEFAULT = 5_000;
const SHUTDOWN_GRACE_DEFAULT = 5_000;
const MAX_CONNECTIONS_DEFAULT = 1000;
/**
 * Descriptors left to the process itself: stdio, the listening socket, the
 * event loop's own, the model files a reload reads, the log.
 */
const RESERVED_DESCRIPTORS = 64;
/** How often Node looks for requests past their timeout (its default is 30 s). */
export const TIMEOUT_CHECK_INTERVAL = 1_000;

/**
 * The soft limit on open files (Node raises it to the hard limit at start), from
 * /proc/self/limits; undefined where there is no such file or no limit. Node
 * has no getrlimit, and reading the file is all it takes on Linux.
 */
function descriptorLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The default connection cap: 1,000, or fewer when the descriptor limit is low. */
export function defaultMaxConnections(limit = descriptorLimit()): number {
  if (limit === undefined) return MAX_CONNECTIONS_DEFAULT;
  return Math.max(1, Math.min(MAX_CONNECTIONS_DEFAULT, limit - RESERVED_DESCRIPTORS));
}

export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const requestTimeout = given.requestTimeout ?? REQUEST_TIMEOUT_DEFAULT;
  return {
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeout: Math.min(given.headersTimeout ?? HEADERS_TIMEOUT_DEFAULT, requestTimeout),
    requestTimeout,
    keepAliveTimeout: given.keepAliveTimeout ?? KEEP_ALIVE_TIMEOUT_DEFAULT,
    maxConnections: given.maxConnections ?? defaultMaxConnections(),
    shutdownGrace: given.shutdownGrace ?? SHUTDOWN_GRACE_DEFAULT,
  };
}

/**
 * Close the server: stop accepting and close idle connections (Fastify's
 * close() does both, through `closing`), then after the grace cut whatever is
 * still open, so a stalled client cannot hold shutdown open.
 */
export async function closeWithGrace(
  server: Server,
  closing: () => Promise<void>,
  grace: number,
): Promise<void> {
  const cut = setTimeout(() => server.closeAllConnections(), grace);
  try {
    await closing();
  } finally {
    clearTimeout(cut);
  }
}
