/**
 * Is the service ready, and with which release? Polls the readiness route through
 * the SSH connection (the VM's loopback) or at a URL, until it answers 200 naming
 * the expected model version (and release, when the server names it), or the time
 * is up. Without that check the old process, still answering while the new one
 * starts, would pass for the new release.
 */
import { request, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as requestHttps } from 'node:https';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readiness } from './settings.js';

export interface Probe {
  status: number;
  modelVersion?: string;
  /** The release directory the server loaded, when it says. */
  release?: string;
}

/** What a ready answer must name. */
export interface Expected {
  modelVersion?: string;
  release: string;
}

/** One probe, given up after `timeoutMs` or when `signal` aborts. */
export type Prober = (timeoutMs: number, signal?: AbortSignal) => Promise<Probe>;

/**
 * What a response names: `model_version` and `release` from a JSON body, else the
 * x-model-version and x-release headers.
 */
function identityOf(body: string, headers: IncomingHttpHeaders): Omit<Probe, 'status'> {
  let parsed: { model_version?: unknown; release?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // not JSON: the headers may still say
  }
  const pick = (value: unknown, header: string | string[] | undefined) =>
    typeof value === 'string' ? value : typeof header === 'string' ? header : undefined;
  return {
    modelVersion: pick(parsed.model_version, headers['x-model-version']),
    release: pick(parsed.release, headers['x-release']),
  };
}

type CreateConnection = NonNullable<RequestOptions['createConnection']>;

/** Hand the request a stream that opens asynchronously (an SSH channel). */
function tunnel(connect: () => Promise<Duplex>): CreateConnection {
  return (_options, done) => {
    connect().then(
      (socket) => done(null, socket),
      (error: Error) => done(error, undefined as unknown as Duplex),
    );
    return undefined;
  };
}

function get(
  url: URL,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  connect?: () => Promise<Duplex>,
): Promise<Probe> {
  const send = url.protocol === 'https:' ? requestHttps : request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'GET',
        headers: { connection: 'close' },
        signal: signal
          ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal])
          : AbortSignal.timeout(timeoutMs),
        ...(connect && { createConnection: tunnel(connect) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...identityOf(Buffer.concat(chunks).toString('utf8'), res.headers),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A prober for the settings: through `forward` (the SSH tunnel) unless a URL is set. */
export function readinessProber(
  readiness: Readiness,
  forward: (port: number) => Promise<Duplex>,
): Prober {
  if (readiness.url) {
    const url = new URL(readiness.url);
    return (timeoutMs, signal) => get(url, timeoutMs, signal);
  }
  const url = new URL(`http://127.0.0.1:${readiness.port}${readiness.path}`);
  return (timeoutMs, signal) => get(url, timeoutMs, signal, () => forward(readiness.port));
}

export function describeProbe(probe: Probe | Error | undefined): string {
  if (!probe) return 'no answer';
  if (probe instanceof Error) return probe.message;
  const named = [
    probe.modelVersion && `model ${probe.modelVersion}`,
    probe.release && `release ${probe.release}`,
  ].filter(Boolean);
  return [`HTTP ${probe.status}`, ...named].join(', ');
}

export type ReadyOutcome = { ready: true } | { ready: false; last: string };

export function isReady(probe: Probe, expected: Expected): boolean {
  if (probe.status !== 200) return false;
  if (expected.modelVersion && probe.modelVersion !== expected.modelVersion) return false;
  return probe.release === undefined || probe.release === expected.release;
}

/**
 * Probe until ready or `deadline` (ms since the epoch; the readiness timeout from
 * now when omitted). No probe outlives the deadline; `signal` ends the wait at
 * once, with its reason thrown.
 */
export async function waitUntilReady(
  probe: Prober,
  readiness: Readiness,
  expected: Expected,
  options: { deadline?: number; signal?: AbortSignal } = {},
): Promise<ReadyOutcome> {
  const { signal } = options;
  const deadline = options.deadline ?? Date.now() + readiness.timeout_ms;
  let last: Probe | Error | undefined;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const left = Math.max(1, Math.min(readiness.request_timeout_ms, deadline - Date.now()));
      last = await probe(left, signal);
      if (isReady(last, expected)) return { ready: true };
    } catch (error) {
      last = error as Error;
    }
    signal?.throwIfAborted();
    if (Date.now() + readiness.interval_ms > deadline)
      return { ready: false, last: describeProbe(last) };
    await sleep(readiness.interval_ms, undefined, { signal });
  }
}
