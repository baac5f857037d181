/**
 * The Benchmark section of the report. It is added to reports/report.md between
 * its own markers, so running the benchmark again replaces it instead of adding
 * a second one, and every other section is left as it was. It goes where the
 * report puts the sections of other stages: right after the gates.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../pipeline/util/files.js';
import type { BenchmarkResult } from './measure.js';

const START = '<!-- mlops-benchmark -->';
const END = '<!-- /mlops-benchmark -->';

function ms(x: number): string {
  return x < 1 ? x.toFixed(3) : x.toFixed(2);
}

export function benchmarkMarkdown(b: BenchmarkResult): string {
  return [
    START,
    '### Benchmark',
    '',
    `In-process prediction, one row per call, ${b.requests} calls (backend \`${b.backend}\`).`,
    '',
    '| p50 | p95 | p99 | Batch throughput | Model size |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${ms(b.latency_ms.p50)} ms | ${ms(b.latency_ms.p95)} ms | ${ms(b.latency_ms.p99)} ms | ${Math.round(b.batch_rows_per_second).toLocaleString('en-US')} rows/s | ${(b.model_bytes / 1024).toFixed(1)} KiB |`,
    END,
  ].join('\n');
}

export async function addToReport(reportPath: string, section: string): Promise<void> {
  let report = '';
  try {
    report = await readFile(reportPath, 'utf8');
  } catch {
    // No report yet (the gates job has not run): the section alone is the report.
  }
  const start = report.indexOf(START);
  const end = report.indexOf(END);
  const gates = report.indexOf('\n### Gates');
  const afterGates = gates >= 0 ? report.indexOf('\n### ', gates + 1) : -1;
  const next =
    start >= 0 && end > start
      ? `${report.slice(0, start)}${section}${report.slice(end + END.length)}`
      : afterGates >= 0
        ? `${report.slice(0, afterGates)}\n${section}\n${report.slice(afterGates)}`
        : `${report.trimEnd()}${report ? '\n\n' : ''}${section}\n`;
  await writeFileAtomic(reportPath, next);
}
