/**
 * Is the service ready, and with which model? Polls the readiness route through
 * the SSH connection (the VM's loopback) or at a URL, until it answers 200 naming
 * the expected model version, or the time is up.
 */
import { request, type RequestOptions } from 'node:http';
import { request as requestHttps } from 'node:https';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readiness } from './settings.js';

export interface Probe {
  status: number;
  modelVersion?: string;
}

export type Prober = () => Promise<Probe>;

/** The version a response names: the JSON body's model_version, else the x-model-version header. */
function versionOf(body: string, header: string | string[] | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body) as { model_version?: unknown };
    if (typeof parsed.model_version === 'string') return parsed.model_version;
  } catch {
    // not JSON: fall back to the header
  }
  return typeof header === 'string' ? header : undefined;
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

function get(url: URL, timeoutMs: number, connect?: () => Promise<Duplex>): Promise<Probe> {
  const send = url.protocol === 'https:' ? requestHttps : request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'GET',
        headers: { connection: 'close' },
        signal: AbortSignal.timeout(timeoutMs),
        ...(connect && { createConnection: tunnel(connect) }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            modelVersion: versionOf(
              Buffer.concat(chunks).toString('utf8'),
              res.headers['x-model-version'],
            ),
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
    return () => get(url, readiness.request_timeout_ms);
  }
  const url = new URL(`http://127.0.0.1:${readiness.port}${readiness.path}`);
  return () => get(url, readiness.request_timeout_ms, () => forward(readiness.port));
}

export function describeProbe(probe: Probe | Error | undefined): string {
  if (!probe) return 'no answer';
  if (probe instanceof Error) return probe.message;
  return `HTTP ${probe.status}${probe.modelVersion ? `, model ${probe.modelVersion}` : ''}`;
}

export type ReadyOutcome = { ready: true } | { ready: false; last: string };

/** Ready means 200 and, when a version is expected, that version. */
export async function waitUntilReady(
  probe: Prober,
  readiness: Readiness,
  expectedModel: string | undefined,
): Promise<ReadyOutcome> {
  const deadline = Date.now() + readiness.timeout_ms;
  let last: Probe | Error | undefined;
  for (;;) {
    try {
      last = await probe();
      if (last.status === 200 && (!expectedModel || last.modelVersion === expectedModel))
        return { ready: true };
    } catch (error) {
      last = error as Error;
    }
    if (Date.now() + readiness.interval_ms > deadline)
      return { ready: false, last: describeProbe(last) };
    await sleep(readiness.interval_ms);
  }
}
