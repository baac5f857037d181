/**
 * The pull-request pipeline's wall time: `mlops run` on the default pipeline
 * with a cold cache (no model, no reports, no CLI bundle), with only the model
 * and reports gone, and again with nothing changed; and what starting the
 * process costs on its own.
 *
 *   npx tsx bench/pipeline.ts [--runs 5]
 *
 * Goals on a 2-core machine: cold under 10 s, nothing changed under 2 s.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyDefaultPipeline, MLOPS, ROOT } from './lib/pipeline-copy.js';
import { run } from './lib/system.js';
import { median, num, runsArg, table } from './lib/table.js';

const runs = runsArg(5);
const dir = await copyDefaultPipeline();
const BUNDLE_CACHE = join(ROOT, 'node_modules', '.cache', 'mlops');
const noBundle = { ...process.env, MLOPS_NO_BUNDLE: '1' };

const mlops = (args: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, [MLOPS, ...args], { cwd: dir, env });
const node = (code: string) =>
  run(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT });
const clean = () =>
  Promise.all([
    rm(join(dir, 'artifacts'), { recursive: true, force: true }),
    rm(join(dir, 'reports'), { recursive: true, force: true }),
  ]);

interface Row {
  what: string;
  goal?: number;
  before?: () => Promise<unknown>;
  measure: () => Promise<{ seconds: number }>;
}

const ROWS: Row[] = [
  { what: 'node, empty script', measure: () => node('') },
  {
    what: '@duckdb/node-api, ESM import (through tsx)',
    measure: () => node("await import('@duckdb/node-api')"),
  },
  {
    what: '@duckdb/node-api, require() (the bundle)',
    measure: () =>
      node(
        "import { createRequire } from 'node:module'; createRequire(import.meta.url)('@duckdb/node-api')",
      ),
  },
  {
    what: 'tfjs-layers + wasm backend ready, ESM import',
    measure: () =>
      node(
        "const tf = await import('@tensorflow/tfjs-core'); await import('@tensorflow/tfjs-layers'); await import('@tensorflow/tfjs-backend-wasm'); await tf.setBackend('wasm'); await tf.ready();",
      ),
  },
  { what: '`mlops --help` through tsx', measure: () => mlops(['--help'], noBundle) },
  { what: '`mlops --help` from the bundle', measure: () => mlops(['--help']) },
  {
    what: '`mlops run`, cold: no model, reports or CLI bundle',
    goal: 10,
    before: () => Promise.all([clean(), rm(BUNDLE_CACHE, { recursive: true, force: true })]),
    measure: () => mlops(['run', '-q']),
  },
  {
    what: '`mlops run`, no model or reports',
    goal: 10,
    before: clean,
    measure: () => mlops(['run', '-q']),
  },
  { what: '`mlops run`, nothing changed', goal: 2, measure: () => mlops(['run', '-q']) },
  {
    what: '`mlops run`, nothing changed, through tsx',
    measure: () => mlops(['run', '-q'], noBundle),
  },
];

try {
  await mlops(['run', '-q']); // warm the OS file cache and the bundle
  const lines: string[][] = [];
  for (const row of ROWS) {
    const seconds: number[] = [];
    for (let i = 0; i < runs; i++) {
      await row.before?.();
      seconds.push((await row.measure()).seconds);
    }
    const m = median(seconds);
    lines.push([
      row.what,
      num(m),
      row.goal === undefined ? '' : `< ${row.goal} s ${m < row.goal ? '✅' : '❌'}`,
    ]);
    process.stderr.write(`${row.what}: ${num(m)} s\n`);
  }
  console.log(table(['Measurement', 'Median s', 'Goal'], lines));
  console.log(`\nMedians of ${runs} runs; Node ${process.versions.node}.`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
