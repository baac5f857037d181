/**
 * Load run of the prediction server on loopback: `mlops serve` in its own
 * process, autocannon sending single-row predictions (default 30 s at 50
 * connections), the server's RSS read from its /metrics before and after.
 *
 *   npx tsx bench/serve-load.ts [--model artifacts/model] [--duration 30] [--connections 50] [--no-monitoring]
 *
 * Prints req/s, latency percentiles, errors and RSS; exits 1 when any request
 * failed or answered non-2xx.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'artifacts/model' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    // The server without its live window, to measure what monitoring costs.
    'no-monitoring': { type: 'boolean', default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);

/** Rows from the dataset, so the requests are not one cached answer. */
async function sampleRows(): Promise<Record<string, unknown>[]> {
  const rows = JSON.parse(await readFile('data/penguins.json', 'utf8')) as Record<
    string,
    unknown
  >[];
  return rows
    .filter((r) => r.Island && r.Sex && r['Body Mass (g)'] != null)
    .slice(0, 50)
    .map(({ Species: _species, ...features }) => features);
}

const token = 'load-run-token';
const server = spawn(
  process.execPath,
  [
    'bin/mlops.js',
    'serve',
    '--model',
    args.model!,
    '--port',
    '0',
    '--log-level',
    'warn',
    ...(args['no-monitoring'] ? ['--no-monitoring'] : []),
  ],
  { env: { ...process.env, MLOPS_API_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] },
);
let stderr = '';
server.stderr.on('data', (d: Buffer) => (stderr += d.toString()));

async function address(): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const m = /on (http:\/\/\S+) /.exec(stderr);
    if (m && /model \w+ from/.test(stderr)) return m[1]!;
    if (server.exitCode !== null || /no model yet/.test(stderr)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not start with a model:\n${stderr}`);
}

async function rss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^mlops_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

try {
  const url = await address();
  const rows = await sampleRows();
  const run = (seconds: number, conns: number) =>
    autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      connections: conns,
      duration: seconds,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      requests: rows.map((row) => ({ body: JSON.stringify(row) })),
    });
  await run(3, 10); // warm-up: JIT, kernel compilation, connection pools
  const rssStart = await rss(url);
  const samples: number[] = [];
  const sampler = setInterval(() => void rss(url).then((v) => samples.push(v)), 5000);
  const result = await run(duration, connections);
  clearInterval(sampler);
  const rssEnd = await rss(url);
  const failed = result.errors + result.timeouts + result.non2xx;
  const lines = [
    `load run: ${duration} s, ${connections} connections, single-row POST /v1/predict on loopback`,
    `requests   ${result.requests.total} (${result.requests.average.toFixed(0)} req/s mean, ${result.requests.min}–${result.requests.max} per second)`,
    `latency    p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    `failures   ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    `server RSS ${mib(rssStart)} at start, ${mib(rssEnd)} at end (${(((rssEnd - rssStart) / rssStart) * 100).toFixed(1)}%); every 5 s: ${samples.map(mib).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = failed ? 1 : 0;
} finally {
  server.kill('SIGTERM');
}
