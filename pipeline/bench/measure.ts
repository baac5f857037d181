/**
 * One benchmark run of a saved model: in-process latency and throughput, over
 * HTTP too when a server URL is given, the model's size on disk, the peak
 * memory of this process, and the training speed recorded in metadata.json.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchMetric } from '../config/bench-metrics.js';
import type { BenchConfig } from '../config/schema.js';
import type { ModelBundle } from '../model/load.js';
import type { BenchFile } from './bench-file.js';
import { measureHttp, type HttpTarget, type HttpTiming } from './http.js';
import { measureInProcess, type Timed } from './inference.js';
import { sampleRows } from './rows.js';

export interface MeasureInput {
  bundle: ModelBundle;
  /** The folder the bundle was loaded from, for its size on disk. */
  modelDir: string;
  settings: Omit<BenchConfig, 'gates'>;
  /** Benchmark `mlops serve` at this address too. */
  http?: HttpTarget;
  backend: string;
  /** Called before each phase, for progress output. */
  onPhase?: (phase: 'in-process' | 'http') => void;
  /** Stops the in-process timing within about 50 ms, and the run before each phase. */
  signal?: AbortSignal;
}

/** Sum of the sizes of the files directly in `dir` (a bundle is flat). */
export async function folderBytes(dir: string): Promise<number> {
  const names = await readdir(dir);
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

/** Peak resident set size of this process so far, in MB. */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

function timedMetrics(prefix: string, t: Timed): Record<string, number> {
  return {
    [`${prefix}_p50_ms`]: t.latency.p50_ms,
    [`${prefix}_p95_ms`]: t.latency.p95_ms,
    [`${prefix}_p99_ms`]: t.latency.p99_ms,
    [`${prefix}_rows_per_s`]: t.rows_per_s,
  };
}

function flatMetrics(
  inProcess: { single: Timed; batch: Timed },
  http: HttpTiming | null,
  rest: Record<'model_size_kb' | 'peak_rss_mb' | 'train_seconds' | 'train_samples_per_s', number>,
): Partial<Record<BenchMetric, number>> {
  return {
    ...timedMetrics('single', inProcess.single),
    ...timedMetrics('batch', inProcess.batch),
    ...(http
      ? {
          ...timedMetrics('http_single', http.single),
          ...timedMetrics('http_batch', http.batch),
          http_requests_per_s: http.requests_per_s,
          http_loaded_p99_ms: http.loaded_p99_ms,
        }
      : {}),
    ...rest,
  };
}

/** Measure; the result is ungated (`passed: null`) until checked against mlops.yaml. */
export async function measureBench(input: MeasureInput): Promise<BenchFile> {
  const { bundle, settings } = input;
  const rows = sampleRows(bundle.preprocess, Math.max(settings.batch_size * 8, 256));
  input.onPhase?.('in-process');
  const inProcess = await measureInProcess(bundle, rows, {
    iterations: settings.iterations,
    warmup: settings.warmup,
    batchSize: settings.batch_size,
    signal: input.signal,
  });
  let http: HttpTiming | null = null;
  if (input.http) {
    input.signal?.throwIfAborted();
    input.onPhase?.('http');
    http = await measureHttp(input.http, rows, {
      iterations: settings.iterations,
      warmup: settings.warmup,
      batchSize: settings.batch_size,
      connections: settings.connections,
      seconds: settings.seconds,
    });
  }
  const modelBytes = await folderBytes(input.modelDir);
  const training = bundle.metadata.training;
  const peak = peakRssMb();
  const metrics = flatMetrics(inProcess, http, {
    model_size_kb: modelBytes / 1024,
    peak_rss_mb: peak,
    train_seconds: training.seconds,
    train_samples_per_s: training.samples_per_second,
  });
  return {
    format: 'mlops-bench/1',
    name: bundle.metadata.name,
    model_version: bundle.metadata.model_version,
    created_at: new Date().toISOString(),
    backend: input.backend,
    node_version: process.versions.node,
    settings: {
      iterations: settings.iterations,
      warmup: settings.warmup,
      batch_size: settings.batch_size,
      url: input.http?.url ?? null,
      connections: settings.connections,
      seconds: settings.seconds,
    },
    in_process: inProcess,
    http,
    model_size_bytes: modelBytes,
    peak_rss_mb: peak,
    training: { seconds: training.seconds, samples_per_second: training.samples_per_second },
    metrics: metrics as Record<string, number>,
    gates: [],
    passed: null,
    baseline: null,
  };
}
