/**
 * Serving: `mlops serve` against FastAPI + uvicorn + scikit-learn
 * (bench/anchors/fastapi_server.py) serving the same model, loaded from the
 * same bundle, under the same autocannon load: single-row POST /v1/predict at
 * 16 connections. The anchor runs twice when both exist: on Debian's
 * python3-fastapi and python3-uvicorn, and on the current FastAPI and uvicorn
 * from PyPI (the pinned environment of bench/anchors/setup.sh).
 *
 *   npx tsx bench/serve-vs-fastapi.ts [--runs 3] [--seconds 10] [--connections 16]
 *       [--server "node bin/mlops.js serve --model {model} --port {port}"]
 *
 * `--server` is the command that starts our server; {model} and {port} are
 * filled in. Goal: at least 3× FastAPI's requests per second with a lower p99.
 */
import autocannon from 'autocannon';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anchorEnv, ensureVenv, moduleVersion, pythons } from './lib/anchors.js';
import { copyDefaultPipeline, MLOPS, ROOT } from './lib/pipeline-copy.js';
import { freePort, startServer, type Started } from './lib/server.js';
import { ensureDebianPackages, run } from './lib/system.js';
import { int, median, num, ratio, runsArg, table } from './lib/table.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const runs = runsArg(3);
const seconds = Number(option('--seconds', '10'));
const connections = Number(option('--connections', '16'));
const serverTemplate = option('--server', `node ${MLOPS} serve --model {model} --port {port}`);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, body: string, duration: number): Promise<Load> {
  const result = await autocannon({
    url: `${url}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function bench(
  name: string,
  start: () => Promise<Started>,
  body: string,
): Promise<Load[] | string> {
  let server: Started;
  try {
    server = await start();
  } catch (error) {
    return (error as Error).message.split('\n')[0]!;
  }
  try {
    // The answer must be a prediction, not an error page.
    const check = await fetch(`${server.url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); // prettier-ignore
    const text = await check.text();
    if (!check.ok) return `${name} answered ${check.status}: ${text.slice(0, 200)}`;
    await load(server.url, body, 2); // warm-up
    const results: Load[] = [];
    for (let r = 0; r < runs; r++) {
      results.push(await load(server.url, body, seconds));
      process.stderr.write(`${name}: ${int(results.at(-1)!.rps)} req/s\n`);
    }
    return results;
  } finally {
    await server.stop();
  }
}

// uvloop and httptools: what uvicorn[standard] adds; uvicorn runs faster with them.
await ensureDebianPackages(['python3-sklearn', 'python3-fastapi', 'python3-uvicorn', 'python3-uvloop', 'python3-httptools']); // prettier-ignore
await ensureVenv();
const dir = await copyDefaultPipeline();
try {
  await run(process.execPath, [MLOPS, 'run', '-q'], { cwd: dir });
  const model = join(dir, 'artifacts', 'model');
  const pre = JSON.parse(await readFile(join(model, 'preprocess.json'), 'utf8')) as {
    features: { name: string; type: string; mean?: number; categories?: string[] }[];
  };
  const row = Object.fromEntries(
    pre.features.map((f) => [
      f.name,
      f.type === 'numeric' ? Number(f.mean!.toFixed(1)) : f.categories!.at(-1),
    ]),
  );
  const body = JSON.stringify(row);

  const oursPort = await freePort();
  const ours = await bench(
    'mlops serve',
    () =>
      startServer(
        serverTemplate
          .replaceAll('{model}', model)
          .replaceAll('{port}', String(oursPort))
          .split(' '),
        { port: oursPort, readyPath: '/readyz', cwd: ROOT },
      ),
    body,
  );
  const { env } = await anchorEnv();
  const anchors: { label: string; result: Load[] | string }[] = [];
  for (const { source, python } of pythons()) {
    const fastapi = await moduleVersion(python, 'fastapi');
    const uvicorn = await moduleVersion(python, 'uvicorn');
    const sklearn = await moduleVersion(python, 'sklearn');
    if (!fastapi || !uvicorn || !sklearn) continue;
    // uvicorn picks uvloop and httptools when they import (uvicorn[standard]), else asyncio and h11.
    const fast = [(await moduleVersion(python, 'uvloop')) && 'uvloop', (await moduleVersion(python, 'httptools')) && 'httptools'].filter(Boolean); // prettier-ignore
    const label = `FastAPI ${fastapi} + uvicorn ${uvicorn}${fast.length ? ` (${fast.join(', ')})` : ''} + scikit-learn ${sklearn}, ${source}`; // prettier-ignore
    const port = await freePort();
    const result = await bench(
      label,
      () =>
        startServer(
          [python, '-m', 'uvicorn', 'fastapi_server:app', '--app-dir', here('anchors'), '--port', String(port), '--log-level', 'warning'], // prettier-ignore
          { port, readyPath: '/readyz', env: { ...env, MODEL_DIR: model } },
        ),
      body,
    );
    anchors.push({ label, result });
  }

  const summary = (r: Load[] | string) =>
    typeof r === 'string'
      ? null
      : { rps: median(r.map((x) => x.rps)), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), errors: r.reduce((a, x) => a + x.errors, 0) }; // prettier-ignore
  const a = summary(ours);
  const line = (name: string, s: ReturnType<typeof summary>, failure: Load[] | string) =>
    s
      ? [name, int(s.rps), num(s.p50, 1), num(s.p99, 1), String(s.errors)]
      : [name, `not measured: ${String(failure)}`, '', '', ''];
  console.log(
    table(
      ['Server', 'Requests/s', 'p50 ms', 'p99 ms', 'Errors'],
      [
        line('mlops serve', a, ours),
        ...anchors.map(({ label, result }) => line(label, summary(result), result)),
      ],
    ),
  );
  for (const { label, result } of anchors) {
    const b = summary(result);
    if (a && b)
      console.log(
        `\nAgainst ${label}: ${ratio(a.rps / b.rps)} the requests per second (goal ≥ 3×), p99 ${num(a.p99, 1)} ms vs ${num(b.p99, 1)} ms (goal: lower) ${a.rps / b.rps >= 3 && a.p99 < b.p99 ? '✅' : '❌'}.`,
      );
  }
  console.log(
    `\nSingle-row POST /v1/predict, ${connections} connections, ${seconds} s per run after a 2 s warm-up, medians of ${runs} runs (autocannon); one process each.`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
