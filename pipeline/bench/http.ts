/**
 * Inference timing over HTTP against a running prediction server: latency one
 * request at a time (nothing queued, so it is the server's own time plus
 * loopback), then throughput under concurrent load with autocannon.
 */
import { PipelineError } from '../errors.js';
import { summarize } from './stats.js';
import type { Timed } from './inference.js';

export interface HttpTarget {
  /** Base URL of the server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Route that predicts; `mlops serve` answers POST /v1/predict. */
  path?: string;
  /** Sent as `Authorization: Bearer …` when the server requires a token. */
  token?: string;
}

export interface HttpOptions {
  iterations: number;
  warmup: number;
  batchSize: number;
  /** Concurrent connections of the throughput run. */
  connections: number;
  /** Seconds of the throughput run. */
  seconds: number;
}

export interface HttpTiming {
  single: Timed;
  batch: Timed;
  /** Single-row requests per second under `connections` concurrent connections. */
  requests_per_s: number;
  /** Latency under that load, as autocannon measured it. */
  loaded_p50_ms: number;
  loaded_p99_ms: number;
  errors: number;
  connections: number;
}

/** One row is sent as a JSON object, a batch as a JSON array of them. */
export const requestBody = (rows: readonly unknown[]): string =>
  JSON.stringify(rows.length === 1 ? rows[0] : rows);

function endpoint(target: HttpTarget): string {
  let url: URL;
  try {
    url = new URL(target.path ?? '/v1/predict', target.url);
  } catch {
    throw new PipelineError('usage', `${target.url}: not a valid URL`, {
      hint: 'Give the server base URL, e.g. --url http://127.0.0.1:8080',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PipelineError('usage', `${target.url}: expected an http:// or https:// URL`);
  return url.toString();
}

function headers(target: HttpTarget): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
  };
}

async function post(url: string, target: HttpTarget, body: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: headers(target), body });
  } catch (error) {
    throw new PipelineError('usage', `${url}: cannot connect (${(error as Error).message})`, {
      hint: 'Start the server first, e.g. `mlops serve`.',
    });
  }
  const text = await response.text();
  if (!response.ok)
    throw new PipelineError(
      'usage',
      `${url}: answered ${response.status} to a benchmark request: ${text.slice(0, 200)}`,
    );
}

async function timeRequests(
  url: string,
  target: HttpTarget,
  rows: readonly unknown[],
  size: number,
  options: HttpOptions,
): Promise<Timed> {
  const batches = Math.max(1, Math.floor(rows.length / size));
  const bodies = Array.from({ length: batches }, (_, i) =>
    requestBody(rows.slice(i * size, (i + 1) * size)),
  );
  for (let i = 0; i < options.warmup; i++) await post(url, target, bodies[i % batches]!);
  const samples: number[] = [];
  const begin = performance.now();
  for (let i = 0; i < options.iterations; i++) {
    const t = performance.now();
    await post(url, target, bodies[i % batches]!);
    samples.push(performance.now() - t);
  }
  const seconds = (performance.now() - begin) / 1000;
  return { latency: summarize(samples), rows_per_s: (options.iterations * size) / seconds };
}

export async function measureHttp(
  target: HttpTarget,
  rows: readonly unknown[],
  options: HttpOptions,
): Promise<HttpTiming> {
  const url = endpoint(target);
  const single = await timeRequests(url, target, rows, 1, options);
  const batch = await timeRequests(url, target, rows, options.batchSize, options);
  // Loaded here, not at the top: it takes most of a second to import, and every
  // `mlops` command would pay that at start.
  const { default: autocannon } = await import('autocannon');
  const load = await autocannon({
    url,
    method: 'POST',
    headers: headers(target),
    body: requestBody(rows.slice(0, 1)),
    connections: options.connections,
    duration: options.seconds,
  });
  return {
    single,
    batch,
    requests_per_s: load.requests.average,
    loaded_p50_ms: load.latency.p50,
    loaded_p99_ms: load.latency.p99,
    errors: load.errors + load.non2xx,
    connections: options.connections,
  };
}
