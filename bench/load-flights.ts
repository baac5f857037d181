/**
 * Load vega-datasets' flights-3m.parquet (3 million rows) into the typed columns
 * training uses, and print rows per second and peak memory. Not a test: run it
 * with `node --expose-gc --import tsx bench/load-flights.ts [runs]`. Goal on a 2-core machine:
 * under 1 s, peak RSS under 600 MB.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTable, type ColumnRequest } from '../pipeline/data/load.js';

const file = fileURLToPath(
  new URL('../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);
const runs = Number(process.argv[2] ?? 5);

const requests: ColumnRequest[] = [
  { name: 'date', type: 'numeric' },
  { name: 'delay', type: 'numeric' },
  { name: 'distance', type: 'numeric' },
  { name: 'origin', type: 'categorical' },
  { name: 'destination', type: 'categorical' },
];

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
  // Each run's columns are garbage before the next: collect them so runs do not stack up.
  (globalThis as { gc?: () => void }).gc?.();
}, 5);

const times: number[] = [];
let rows = 0;
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  const { table } = await loadTable(file, 'parquet', requests, 'flights-3m.parquet');
  times.push((performance.now() - start) / 1000);
  rows = table.rowCount;
  peak = Math.max(peak, process.memoryUsage().rss);
  // Each run's columns are garbage before the next: collect them so runs do not stack up.
  (globalThis as { gc?: () => void }).gc?.();
}
clearInterval(sampler);
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const first = times.length ? times[0]! : NaN;
console.log(
  `machine         ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} (timings mean little when it exceeds the cores)`,
);
console.log(`rows            ${rows}`);
console.log(
  `runs            ${runs} (fastest ${first.toFixed(3)} s, median ${median.toFixed(3)} s)`,
);
console.log(`rows/s          ${Math.round(rows / median).toLocaleString('en')} (median)`);
console.log(`peak RSS        ${Math.round(peak / 2 ** 20)} MB`);
console.log(
  `goal            < 1 s: ${median < 1 ? 'met' : 'missed'}, < 600 MB: ${peak < 600 * 2 ** 20 ? 'met' : 'missed'}`,
);
