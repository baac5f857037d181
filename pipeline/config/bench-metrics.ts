/**
 * The benchmark's metric catalogue: the flat names bench.json reports and
 * mlops.yaml's `bench.gates` may bound, and which way is better for each. Part
 * of the config's vocabulary, as metrics.ts is: the schema checks gate names
 * against it, and bench measures under these names.
 */
const TIMINGS = ['p50_ms', 'p95_ms', 'p99_ms', 'rows_per_s'] as const;

export const BENCH_METRICS = [
  ...TIMINGS.map((t) => `single_${t}` as const),
  ...TIMINGS.map((t) => `batch_${t}` as const),
  ...TIMINGS.map((t) => `http_single_${t}` as const),
  ...TIMINGS.map((t) => `http_batch_${t}` as const),
  'http_requests_per_s',
  'http_loaded_p99_ms',
  'model_size_kb',
  'peak_rss_mb',
  'train_seconds',
  'train_samples_per_s',
] as const;

export type BenchMetric = (typeof BENCH_METRICS)[number];

export function isBenchMetric(name: string): name is BenchMetric {
  return (BENCH_METRICS as readonly string[]).includes(name);
}

/** Rates are better higher; times, sizes and memory are better lower. */
export function benchHigherIsBetter(name: string): boolean {
  return name.endsWith('_per_s');
}
