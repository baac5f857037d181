/**
 * What monitoring costs the predict path: `mlops serve` with its live window
 * (drift counts, prediction shares, answers kept for feedback) against the
 * same server started with `--no-monitoring`, side by side. Same model (the
 * default pipeline trained in a temporary folder, its bundle with a profile),
 * same autocannon load (single-row POST /v1/predict, rows drawn from the
 * dataset, so the counts move as in production). Both servers are up for the
 * whole run and loaded in turn, in the order on, off, off, on … so a machine
 * that slows down during the run weighs on both alike; each pair of runs gives
 * one ratio, and the ratio reported is their median. On a machine other jobs
 * share, requests per second swing by more than the cost measured, so the
 * server's own CPU time per request (mlops_process_cpu_seconds_total from its
 * /metrics, before and after each run) is reported beside them: what the
 * server spends does not depend on who else has the CPU. So is its garbage
 * collection time per request (mlops_nodejs_gc_duration_seconds, every kind):
 * what monitoring keeps alive between requests shows there, not in a profile
 * of its functions.
 *
 *   npx tsx bench/monitoring-cost.ts [--runs 10] [--seconds 5] [--connections 50]
 *
 * Goal: monitoring on serves at least 90% of the requests per second of off.
 */
import autocannon from 'autocannon';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readPreprocess } from '../pipeline/model/files.js';
import { Monitoring } from '../pipeline/monitor/monitoring.js';
import { readProfile } from '../pipeline/monitor/profile.js';
import type { Prediction } from '../pipeline/predict/predict.js';
import { copyDefaultPipeline, MLOPS, ROOT } from './lib/pipeline-copy.js';
import { freePort, startServer, type Started } from './lib/server.js';
import { run } from './lib/system.js';
import { int, median, num, runsArg, table } from './lib/table.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const runs = runsArg(10);
const seconds = Number(option('--seconds', '5'));
const connections = Number(option('--connections', '50'));
const GOAL = 0.9;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU time per answered request, in microseconds. */
  cpuUs: number;
  /** Garbage collection pauses per answered request, in microseconds. */
  gcUs: number;
}

/** The server's CPU seconds so far, and its garbage collection pauses (every kind). */
async function cpuSeconds(url: string): Promise<{ cpu: number; gc: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const gc = [...text.matchAll(/^mlops_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)/gm)];
  return {
    cpu: Number(/^mlops_process_cpu_seconds_total (\S+)/m.exec(text)![1]),
    gc: gc.reduce((sum, m) => sum + Number(m[1]), 0),
  };
}

async function load(url: string, bodies: string[], duration: number): Promise<Load> {
  const before = await cpuSeconds(url);
  const result = await autocannon({
    url: `${url}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: bodies.map((body) => ({ body })),
    connections,
    duration,
  });
  const after = await cpuSeconds(url);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    cpuUs: ((after.cpu - before.cpu) / result.requests.total) * 1e6,
    gcUs: ((after.gc - before.gc) / result.requests.total) * 1e6,
  };
}

async function serve(model: string, monitoring: boolean): Promise<Started> {
  const port = await freePort();
  const command = ['node', MLOPS, 'serve', '--model', model, '--port', String(port)];
  if (!monitoring) command.push('--no-monitoring');
  return startServer(command, { port, readyPath: '/readyz', cwd: ROOT });
}

/**
 * The monitoring work of one single-row request alone, in this process: what
 * the predict route calls (Monitoring.answered: count the row's features and
 * its prediction, keep the answer for feedback), over the same rows and the
 * answers the server gave them. Less at the mercy of other jobs than a load run.
 */
async function answeredMicros(
  model: string,
  rows: readonly string[],
  predictions: readonly Prediction[],
): Promise<{ micros: number; gcMicros: number }> {
  const monitoring = new Monitoring();
  monitoring.loaded('v', await readPreprocess(model), await readProfile(model));
  const parsed = rows.map((r) => JSON.parse(r) as unknown);
  const calls = 200_000;
  const once = (i: number) =>
    monitoring.answered('v', `req-${i}`, [parsed[i % parsed.length]], [predictions[i % parsed.length]!], false); // prettier-ignore
  for (let i = 0; i < 20_000; i++) once(i); // warm-up, and the answer ring full
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const start = performance.now();
  for (let i = 0; i < calls; i++) once(i);
  const micros = ((performance.now() - start) * 1000) / calls;
  // The observer hears of the last collections on a later turn.
  await new Promise((done) => setTimeout(done, 100));
  gc.disconnect();
  return { micros, gcMicros: (gcMs * 1000) / calls };
}

const dir = await copyDefaultPipeline();
const started: Started[] = [];
try {
  await run(process.execPath, [MLOPS, 'run', '-q'], { cwd: dir });
  const model = join(dir, 'artifacts', 'model');
  const rows =
    (JSON.parse(await readFile(join(dir, 'data', 'penguins.json'), 'utf8')) as Record<string, unknown>[]) // prettier-ignore
      .filter((r) => r['Island'] && r['Sex'] && r['Body Mass (g)'] != null)
      .map(({ Species: _species, ...features }) => JSON.stringify(features));

  const on = await serve(model, true);
  started.push(on);
  const off = await serve(model, false);
  started.push(off);
  const servers = { on, off };
  for (const [name, server] of Object.entries(servers)) {
    const check = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rows[0] }); // prettier-ignore
    if (!check.ok) throw new Error(`monitoring ${name} answered ${check.status}: ${await check.text()}`); // prettier-ignore
    await load(server.url, rows, 3); // warm-up: JIT, kernels, connections
  }

  const answers = (await (
    await fetch(`${off.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"rows":[${rows.join(',')}]}`,
    })
  ).json()) as { predictions: Prediction[] };

  const results: Record<'on' | 'off', Load[]> = { on: [], off: [] };
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    for (const name of order) {
      results[name].push(await load(servers[name].url, rows, seconds));
      const last = results[name].at(-1)!;
      process.stderr.write(`monitoring ${name}: ${int(last.rps)} req/s, ${num(last.cpuUs, 1)} µs CPU, ${num(last.gcUs, 1)} µs GC a request\n`); // prettier-ignore
    }
  }

  // The window did its work on the one and none on the other.
  const view = (await (await fetch(`${on.url}/v1/monitoring`)).json()) as {
    versions: { rows: number }[];
  };
  const windowRows = view.versions[0]?.rows ?? 0;
  const offView = await fetch(`${off.url}/v1/monitoring`);
  await offView.arrayBuffer();

  const summary = (r: Load[]) => ({
    rps: median(r.map((x) => x.rps)),
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    cpuUs: median(r.map((x) => x.cpuUs)),
    gcUs: median(r.map((x) => x.gcUs)),
    errors: r.reduce((a, x) => a + x.errors, 0),
  });
  const a = summary(results.on);
  const b = summary(results.off);
  // One ratio per pair of neighbouring runs: what the machine did meanwhile weighs on both.
  const share = median(results.on.map((x, i) => x.rps / results.off[i]!.rps));
  const cpuShare = median(results.on.map((x, i) => x.cpuUs / results.off[i]!.cpuUs));
  const gcShare = median(results.on.map((x, i) => x.gcUs / results.off[i]!.gcUs));
  const perRun = (r: Load[]) => r.map((x) => int(x.rps)).join(', ');
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(
    table(
      [
        'Server',
        'Requests/s',
        'CPU µs a request',
        'GC µs a request',
        'p50 ms',
        'p99 ms',
        'Errors',
        'Runs (req/s)',
      ],
      [
        ['monitoring on', int(a.rps), num(a.cpuUs, 1), num(a.gcUs, 1), num(a.p50, 1), num(a.p99, 1), String(a.errors), perRun(results.on)], // prettier-ignore
        ['monitoring off', int(b.rps), num(b.cpuUs, 1), num(b.gcUs, 1), num(b.p50, 1), num(b.p99, 1), String(b.errors), perRun(results.off)], // prettier-ignore
        ['monitoring on / off', pct(share), pct(cpuShare), pct(gcShare), num(a.p50 / b.p50), num(a.p99 / b.p99), '', 'median of the pairs\' ratios'], // prettier-ignore
      ],
    ),
  );
  const verdict = (x: number) => (x >= GOAL ? '✅' : '❌');
  const own = await answeredMicros(model, rows, answers.predictions);
  console.log(
    `\nMonitoring on serves ${pct(share)} of the requests per second of off (goal ≥ ${pct(GOAL)}) ${verdict(share)}; the server spends ${pct(cpuShare)} of the CPU time a request, i.e. ${pct(1 / cpuShare)} of the throughput when the CPU is the bound ${verdict(1 / cpuShare)}. Its window held ${windowRows} rows; with it off, GET /v1/monitoring answers ${offView.status}.`,
  );
  console.log(
    `\nThe monitoring work of a request alone (Monitoring.answered, in process, 200,000 calls): ${num(own.micros, 2)} µs, ${pct(own.micros / b.cpuUs)} of the ${num(b.cpuUs, 1)} µs of CPU a request takes with monitoring off; garbage collection ${num(own.gcMicros, 2)} µs a call.`,
  );
  console.log(
    `\nSingle-row POST /v1/predict (${rows.length} distinct rows), ${connections} connections, ${seconds} s per run after a 3 s warm-up, ${runs} runs each, interleaved (autocannon); both servers up throughout.`,
  );
  process.exitCode = a.errors + b.errors ? 1 : 0;
} finally {
  for (const server of started) await server.stop();
  await rm(dir, { recursive: true, force: true });
}
