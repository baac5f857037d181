/**
 * Load vega-datasets' flights-3m.parquet (3 million rows) into the typed columns
 * training uses, and print rows per second and peak memory. Not a test: run it
 * with `npx tsx bench/load-flights.ts [runs]`. Goal on a 2-core machine: under
 * 1 s, peak RSS under 600 MB.
 *
 * Each run is a fresh process, as `mlops run` is: its peak RSS is the kernel's
 * (getrusage), not a sample, and no run inherits another's garbage. Wall time
 * depends on what else the machine runs, so CPU time is printed beside it.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTable, type ColumnRequest } from '../pipeline/data/load.js';

const file = fileURLToPath(
  new URL('../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);

const requests: ColumnRequest[] = [
  { name: 'date', type: 'numeric' },
  { name: 'delay', type: 'numeric' },
  { name: 'distance', type: 'numeric' },
  { name: 'origin', type: 'categorical' },
  { name: 'destination', type: 'categorical' },
];

interface Sample {
  rows: number;
  wall: number;
  cpu: number;
  peakMb: number;
}

async function child(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const { table } = await loadTable(file, 'parquet', requests, 'flights-3m.parquet');
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sample: Sample = {
    rows: table.rowCount,
    wall,
    cpu: (cpu.user + cpu.system) / 1e6,
    peakMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(sample));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

if (process.argv[2] === '--child') await child();
else {
  const runs = Number(process.argv[2] ?? 5);
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--child',
    ]);
    samples.push(JSON.parse(out.toString()) as Sample);
  }
  const wall = median(samples.map((s) => s.wall));
  const cpu = median(samples.map((s) => s.cpu));
  const peak = Math.max(...samples.map((s) => s.peakMb));
  const rows = samples[0]!.rows;
  console.log(`machine    ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(`rows       ${rows} (${runs} runs, each a fresh process)`);
  console.log(
    `wall       median ${wall.toFixed(3)} s, ${Math.round(rows / wall).toLocaleString('en')} rows/s`,
  );
  console.log(`cpu        median ${cpu.toFixed(3)} s (user + system, all threads)`);
  console.log(`peak RSS   ${Math.round(peak)} MB (largest of the runs)`);
  console.log(
    `goal       < 1 s: ${wall < 1 ? 'met' : 'missed'}; < 600 MB: ${peak < 600 ? 'met' : 'missed'}`,
  );
}
