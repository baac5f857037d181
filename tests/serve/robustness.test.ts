/**
 * `mlops serve` as a process under 20 s of valid load mixed with hostile
 * requests (deep nesting, huge numbers, long names, bodies that are not JSON,
 * stalled uploads): no valid request fails, no hostile one gets a 5xx, the
 * process is the same one at the end and still answers, and its memory stays
 * bounded.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { partialBody, PENGUIN, stall, type Raw } from './fixtures.js';

const TOKEN = 'robustness-token';
const SECONDS = 20;

let a: TrainedModel;

beforeAll(async () => {
  a = await trainPenguins(['split.seed=61']);
});

afterAll(async () => {
  await a?.cleanup();
});

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]);
}

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Bodies no client should send, with the content type they are sent as. */
const HOSTILE: [string, string][] = [
  [`{"Island": ${deep(5000)}}`, 'application/json'],
  [`{"rows": [${JSON.stringify(PENGUIN)}, {"Island": ${deep(5000)}}]}`, 'application/json'],
  [`{"rows": [${deep(100_000)}]}`, 'application/json'],
  [JSON.stringify({ ...PENGUIN, 'Body Mass (g)': 1e308 }), 'application/json'],
  [
    JSON.stringify({ rows: [PENGUIN, { ...PENGUIN, 'Beak Length (mm)': -1e300 }] }),
    'application/json',
  ],
  ['{"Island": "Biscoe", "Body Mass (g)": 1e400}', 'application/json'],
  [JSON.stringify({ ...PENGUIN, ['x'.repeat(100_000)]: 1 }), 'application/json'],
  [JSON.stringify({ ...PENGUIN, ['y'.repeat(200)]: 'z'.repeat(1000) }), 'application/json'],
  [
    JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, i]))),
    'application/json',
  ],
  [JSON.stringify({ rows: Array(1001).fill(PENGUIN) }), 'application/json'],
  ['{"__proto__": {"Island": "Biscoe"}}', 'application/json'],
  ['{"Island": ', 'application/json'],
  [JSON.stringify(PENGUIN), 'text/plain'],
];

it(
  `survives ${SECONDS} s of hostile requests mixed with valid load, with no valid request failing`,
  { timeout: 180_000 },
  async () => {
    const child = spawn(
      process.execPath,
      [
        'bin/mlops.js',
        'serve',
        '--model',
        a.modelDir,
        '--port',
        '0',
        '--log-level',
        'warn',
        '--request-timeout',
        '4',
      ],
      { env: { ...process.env, MLOPS_API_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const stalled: Raw[] = [];
    try {
      let url: string | undefined;
      for (let i = 0; i < 600 && !url; i++) {
        url = / on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
        if (!url && child.exitCode !== null) break;
        if (!url) await new Promise((r) => setTimeout(r, 50));
      }
      expect(url, stderr).toBeDefined();
      const pid = child.pid!;
      const auth = { authorization: `Bearer ${TOKEN}` };
      // Warm up, then measure memory before the run.
      for (let i = 0; i < 50; i++)
        await fetch(`${url}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth },
          body: JSON.stringify(PENGUIN),
        });
      const rssBefore = await rssKiB(pid);

      const valid = autocannon({
        url: `${url}/v1/predict`,
        method: 'POST',
        connections: 8,
        duration: SECONDS,
        headers: { 'content-type': 'application/json', ...auth },
        requests: [
          { body: JSON.stringify(PENGUIN) },
          { body: JSON.stringify({ rows: [PENGUIN, { ...PENGUIN, Sex: null }] }) },
        ],
      });

      const deadline = Date.now() + SECONDS * 1000;
      const hostileStatuses = new Map<number, number>();
      let hostileSent = 0;
      const hostileLoop = async (worker: number) => {
        for (let i = worker; Date.now() < deadline; i++) {
          const [body, type] = HOSTILE[i % HOSTILE.length]!;
          const res = await fetch(`${url}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': type, ...(i % 7 === 0 ? {} : auth) },
            body,
          });
          await res.arrayBuffer();
          hostileSent++;
          hostileStatuses.set(res.status, (hostileStatuses.get(res.status) ?? 0) + 1);
        }
      };
      const stallLoop = async () => {
        // 20 stalled uploads every 2 s, with and without the token; the request
        // timeout (4 s) cuts them off, so about 40 are open at any time.
        while (Date.now() < deadline - 2000) {
          for (let i = 0; i < 20; i++)
            stalled.push(await stall(url!, partialBody(i % 2 ? auth : {})));
          await new Promise((r) => setTimeout(r, 2000));
        }
      };
      const [result] = await Promise.all([valid, hostileLoop(0), hostileLoop(1), stallLoop()]);

      expect(result.requests.total).toBeGreaterThan(500);
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(hostileSent).toBeGreaterThan(50);
      for (const status of hostileStatuses.keys()) {
        expect(status, JSON.stringify([...hostileStatuses])).toBeGreaterThanOrEqual(400);
        expect(status, JSON.stringify([...hostileStatuses])).toBeLessThan(500);
      }
      expect(stalled.length).toBeGreaterThanOrEqual(100);
      await Promise.all(stalled.map((s) => s.closed));

      // The same process, still answering; memory bounded.
      expect(child.exitCode).toBeNull();
      expect(child.pid).toBe(pid);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const rssAfter = await rssKiB(pid);
      expect(rssAfter, `RSS ${rssBefore} kB before, ${rssAfter} kB after`).toBeLessThan(
        rssBefore + 300 * 1024,
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).not.toMatch(/status_code="5\d\d"/);
    } finally {
      for (const s of stalled) s.socket.destroy();
      child.kill('SIGTERM');
      await exited;
    }
    expect(stderr).not.toMatch(/internal error|RangeError|Maximum call stack/);
  },
);
