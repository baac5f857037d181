/**
 * In-process prediction latency of the trained model, one row per call as a
 * server answers a request, and its size on disk: what a reviewer needs to see
 * before a model twice as slow or twice as large reaches production.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../../pipeline/config/schema.js';
import { PipelineError } from '../../../pipeline/errors.js';
import type { Table } from '../../../pipeline/data/table.js';
import { BUNDLE_FILES, type ModelBundle } from '../../../pipeline/package/bundle.js';
import { predictRows } from '../../../pipeline/predict/predict.js';

export interface BenchmarkResult {
  model_version: string;
  backend: string;
  requests: number;
  latency_ms: { p50: number; p95: number; p99: number; mean: number };
  /** Rows per second when the whole test split is predicted in one batch. */
  batch_rows_per_second: number;
  model_bytes: number;
}

/** Rows as a client sends them: feature name → value, null where missing. */
export function rowObjects(table: Table, features: Config['data']['features']): object[] {
  return Array.from({ length: table.rowCount }, (_, i) => {
    const row: Record<string, string | number | null> = {};
    for (const f of features) {
      const col = table.columns.get(f.name)!;
      const v = col.values[i];
      row[f.name] = typeof v === 'number' ? (Number.isNaN(v) ? null : v) : (v ?? null);
    }
    return row;
  });
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function predictOrThrow(bundle: ModelBundle, rows: readonly object[]): void {
  const outcome = predictRows(bundle, rows);
  if (!outcome.ok)
    throw new PipelineError(
      'model',
      `the model refused a test row: ${outcome.errors[0]!.field} ${outcome.errors[0]!.message}`,
    );
}

export async function measure(
  bundle: ModelBundle,
  rows: readonly object[],
  requests: number,
  modelDir: string,
  backend: string,
): Promise<BenchmarkResult> {
  if (!rows.length) throw new PipelineError('data', 'the test split is empty: nothing to time');
  const warmup = Math.max(5, Math.floor(requests / 10));
  for (let i = 0; i < warmup; i++) predictOrThrow(bundle, [rows[i % rows.length]!]);
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const row = rows[i % rows.length]!;
    const start = performance.now();
    predictOrThrow(bundle, [row]);
    times.push(performance.now() - start);
  }
  const batchStart = performance.now();
  predictOrThrow(bundle, rows);
  const batchSeconds = (performance.now() - batchStart) / 1000;
  const sorted = [...times].sort((a, b) => a - b);
  let modelBytes = 0;
  for (const file of BUNDLE_FILES) modelBytes += (await stat(join(modelDir, file))).size;
  return {
    model_version: bundle.metadata.model_version,
    backend,
    requests,
    latency_ms: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      mean: times.reduce((a, b) => a + b, 0) / times.length,
    },
    batch_rows_per_second: rows.length / Math.max(batchSeconds, 1e-9),
    model_bytes: modelBytes,
  };
}
