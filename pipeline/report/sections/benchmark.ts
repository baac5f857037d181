/** The benchmark as a section of reports/report.md: measurements against the baseline, then gates. */
import type { BenchBaseline, BenchFile } from '../../bench/bench-file.js';
import { benchHigherIsBetter } from '../../config/bench-metrics.js';
import { fmt, type ReportSection } from '../markdown.js';

const LABELS: Record<string, string> = {
  single: 'In process, 1 row',
  batch: 'In process, batch',
  http_single: 'HTTP, 1 row',
  http_batch: 'HTTP, batch',
};

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** Milliseconds keep their decimals; rates and sizes in the thousands do not need them. */
export function fmtMeasure(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : fmt(x, 3);
}

function change(name: string, value: number, base: number | undefined): string {
  if (base === undefined || base === 0) return '–';
  const pct = (value / base - 1) * 100;
  const better = benchHigherIsBetter(name) ? pct > 0 : pct < 0;
  const mark = Math.abs(pct) < 5 ? '⚪' : better ? '🟢' : '🔴';
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}% ${mark}`;
}

function latencyTable(bench: BenchFile, baseline?: BenchBaseline): string {
  const lines = [
    row(['', 'p50 ms', 'p95 ms', 'p99 ms', 'rows/s', 'p99 vs baseline']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const prefix of ['single', 'batch', 'http_single', 'http_batch']) {
    const m = bench.metrics;
    const p99 = m[`${prefix}_p99_ms`];
    if (p99 === undefined) continue;
    const label = prefix.endsWith('batch')
      ? `${LABELS[prefix]} of ${bench.settings.batch_size}`
      : LABELS[prefix]!;
    lines.push(
      row([
        label,
        fmt(m[`${prefix}_p50_ms`], 3),
        fmt(m[`${prefix}_p95_ms`], 3),
        fmt(p99, 3),
        Math.round(m[`${prefix}_rows_per_s`]!).toLocaleString('en-US'),
        change(`${prefix}_p99_ms`, p99, baseline?.metrics[`${prefix}_p99_ms`]),
      ]),
    );
  }
  return lines.join('\n');
}

function otherTable(bench: BenchFile, baseline?: BenchBaseline): string {
  const m = bench.metrics;
  const items: [string, string, string][] = [
    ['model_size_kb', 'Model size on disk', `${fmt(m.model_size_kb, 1)} KB`],
    ['peak_rss_mb', 'Peak memory (RSS)', `${fmt(m.peak_rss_mb, 1)} MB`],
    ['train_seconds', 'Training time', `${fmt(m.train_seconds, 2)} s`],
    [
      'train_samples_per_s',
      'Training speed',
      `${Math.round(m.train_samples_per_s ?? 0).toLocaleString('en-US')} samples/s`,
    ],
  ];
  if (bench.http)
    items.unshift([
      'http_requests_per_s',
      `HTTP throughput (${bench.http.connections} connections)`,
      `${Math.round(bench.http.requests_per_s).toLocaleString('en-US')} req/s, p99 ${fmt(bench.http.loaded_p99_ms, 1)} ms, ${bench.http.errors} errors`,
    ]);
  return [
    row(['', 'This model', 'vs baseline']),
    row(['---', '---:', '---:']),
    ...items.map(([key, label, text]) =>
      row([label, text, m[key] === undefined ? '–' : change(key, m[key], baseline?.metrics[key])]),
    ),
  ].join('\n');
}

function gatesTable(bench: BenchFile): string {
  if (!bench.gates.length)
    return 'No benchmark gates are configured (`bench.gates` in mlops.yaml).';
  return [
    row(['Gate', 'Value', 'Bound', 'Result']),
    row(['---', '---:', '---:', '---']),
    ...bench.gates.map((g) =>
      row([
        g.name,
        fmt(g.value, 3),
        g.bound === null
          ? '–'
          : `${g.kind === 'min' || g.kind === 'max_drop_pct' ? '≥' : '≤'} ${fmt(g.bound, 3)}`,
        g.skipped
          ? `⚪ skipped (${g.skipped})`
          : g.passed
            ? '✅ pass'
            : `❌ fail${g.reason ? ` (${g.reason})` : ''}`,
      ]),
    ),
  ].join('\n');
}

const failedCount = (bench: BenchFile) => bench.gates.filter((g) => !g.passed).length;

export function benchSection(bench: BenchFile, baseline?: BenchBaseline): ReportSection {
  const verdict =
    bench.passed === null || !bench.gates.length
      ? ''
      : bench.passed
        ? `All ${bench.gates.length} benchmark gates passed.`
        : `❌ ${failedCount(bench)} of ${bench.gates.length} benchmark gates failed.`;
  return {
    title: 'Benchmark',
    markdown: [
      latencyTable(bench, baseline),
      '',
      otherTable(bench, baseline),
      '',
      gatesTable(bench),
      ...(verdict ? ['', verdict] : []),
      '',
      `Backend \`${bench.backend}\`, Node ${bench.node_version}; ${bench.settings.iterations} timed calls each after ${bench.settings.warmup} untimed.`,
    ].join('\n'),
  };
}
