/**
 * Schemathesis (the pinned release scripts/services/schemathesis.sh installs)
 * reads the server's own /openapi.json and sends generated requests, valid and
 * not: no answer may be a 5xx, and every answer's status, content type and body
 * must be the ones the document declares; a documented path called with
 * another method is a 405 naming the methods it takes. With a token it also checks that the
 * secured routes refuse a request without one. scripts/fuzz-server.sh runs the
 * same with many more examples.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { schemathesisBinary } from '../support/peers.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { stall } from './fixtures.js';

const run = promisify(execFile);
const TOKEN = 'fuzz-token-for-tests';
/** Enough for every operation's coverage phase and some fuzzing, in seconds on 2 cores. */
const MAX_EXAMPLES = 30;
/** Fixed, so a failure here is the same failure on the next run. */
const SEED = 20240611;
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  // A documented path called with another method: 405 with Allow, not 404.
  'unsupported_method',
];

let model: TrainedModel;
let work: string;
const servers: PredictionServer[] = [];

beforeAll(async () => {
  model = await trainPenguins();
  work = await mkdtemp(join(tmpdir(), 'mlops-fuzz-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await model?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

async function serve(token?: string): Promise<string> {
  const server = await createPredictionServer({
    modelDir: model.modelDir,
    token,
    bodyLimit: 64 * 1024,
    maxRows: 50,
  });
  servers.push(server);
  return server.listen('127.0.0.1', 0);
}

/** The exit code and the whole report, which is what a failure shows. */
async function schemathesis(base: string, checks: string[], extra: string[] = []) {
  const args = [
    'run',
    `${base}/openapi.json`,
    '--checks',
    checks.join(','),
    '--max-examples',
    String(MAX_EXAMPLES),
    '--seed',
    String(SEED),
    '--request-timeout',
    '10',
    '--no-color',
    ...extra,
  ];
  // Run in a folder of its own: schemathesis keeps a Hypothesis database in its working directory.
  return run(schemathesisBinary(), args, { cwd: work, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout }) => ({ code: 0, report: stdout }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      report: `${e.stdout ?? ''}${e.stderr ?? ''}`,
    }),
  );
}

describe('the server under schemathesis', () => {
  it('answers as its OpenAPI document says, with no token configured', async () => {
    const base = await serve();
    const { code, report } = await schemathesis(base, CHECKS);
    expect(code, report).toBe(0);
  }, 90_000);

  it('answers as its OpenAPI document says with a token, and refuses requests without it', async () => {
    const base = await serve(TOKEN);
    const { code, report } = await schemathesis(
      base,
      [...CHECKS, 'ignored_auth'],
      ['-H', `Authorization: Bearer ${TOKEN}`],
    );
    expect(code, report).toBe(0);
  }, 90_000);
});

describe('the declared error body', () => {
  it('is what a request gets while the server shuts down', async () => {
    const server = await createPredictionServer({ modelDir: model.modelDir });
    const base = await server.listen('127.0.0.1', 0);
    // Headers not finished: the connection is busy, so closing waits for it.
    const raw = await stall(base, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((r) => setTimeout(r, 300));
    const closed = server.close();
    raw.socket.write('\r\n');
    await raw.closed;
    await closed;
    const [head, body] = raw.received().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/^x-request-id: /im);
    expect(JSON.parse(body!)).toMatchObject({
      error: { code: 'not_ready', message: 'the server is shutting down' },
      model_version: model.version,
      api_version: expect.any(String),
      request_id: expect.any(String),
    });
  });
});
