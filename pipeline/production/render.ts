/** The production record as `mlops production show` and `log` print it. */
import { shortSha } from '../util/hash.js';
import type { Production } from './git-ref.js';
import type { ProductionRecord } from './record.js';

/** 2026-11-26 19:15 UTC: when a record went live, to the minute. */
export function liveSince(iso: string): string {
  const utc = new Date(iso).toISOString();
  return `${utc.slice(0, 10)} ${utc.slice(11, 16)} UTC`;
}

function numbers(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .filter(([k]) => !k.includes('.'))
    .map(([k, v]) => `${k} ${Number(v.toPrecision(6))}`)
    .join(', ');
}

export function renderProduction({ record, metrics, bench }: Production): string {
  const rows: [string, string][] = [
    ['production', `${record.model_version} (${record.name})`],
    ['event', `${record.event}, live since ${liveSince(record.at)}`],
    ['weights', `sha256 ${shortSha(record.weights_sha256)}`],
    ['commit', record.commit ?? '–'],
    ['run', record.run?.url ?? '–'],
    ['previous', record.previous ?? '–'],
    ['metrics', numbers(metrics.metrics)],
    ['bench', bench ? numbers(bench.metrics) : '–'],
  ];
  return rows.map(([k, v]) => `${k.padEnd(11)}${v}`).join('\n');
}

/** One line per record: when, what happened, the version and its weights, the run. */
export function renderLogLine(record: ProductionRecord): string {
  return [
    liveSince(record.at),
    record.event.padEnd(8),
    record.model_version,
    `weights ${shortSha(record.weights_sha256)}`,
    record.run?.url ?? '',
  ]
    .join('  ')
    .trimEnd();
}
