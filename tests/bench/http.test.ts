import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureHttp } from '../../pipeline/bench/http.js';
import { sampleRows } from '../../pipeline/bench/rows.js';
import { PipelineError } from '../../pipeline/errors.js';
import { loadBundle, type ModelBundle } from '../../pipeline/model/load.js';
import { predictRows } from '../../pipeline/predict/predict.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { trainedPipeline, type TrainedPipeline } from './fixture.js';

// A minimal prediction server over the real model: POST /v1/predict takes one
// row object or an array of them, and wants a bearer token.
const TOKEN = 'bench-test-token';
let pipeline: TrainedPipeline;
let bundle: ModelBundle;
let server: Server;
let url: string;
const seen = { single: 0, batch: 0 };

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

beforeAll(async () => {
  await initBackend();
  pipeline = await trainedPipeline();
  bundle = await loadBundle(join(pipeline.dir, 'artifacts', 'model'));
  server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/v1/predict') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"missing or wrong token"}');
        return;
      }
      const parsed = await body(req);
      const rows = Array.isArray(parsed) ? parsed : [parsed];
      if (Array.isArray(parsed)) seen.batch++;
      else seen.single++;
      const outcome = predictRows(bundle, rows);
      res.writeHead(outcome.ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(outcome));
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => server?.close(done));
  bundle?.network.dispose();
  await pipeline?.cleanup();
});

const options = { iterations: 30, warmup: 3, batchSize: 8, connections: 4, seconds: 1 };

describe('measureHttp', () => {
  it('times single rows and batches one request at a time, then throughput under load', async () => {
    const rows = sampleRows(bundle.preprocess, 64);
    const before = { ...seen };
    const timing = await measureHttp({ url, token: TOKEN }, rows, options);
    expect(seen.batch - before.batch).toBe(33);
    expect(seen.single - before.single).toBeGreaterThanOrEqual(33);
    for (const t of [timing.single, timing.batch]) {
      expect(t.latency.samples).toBe(30);
      expect(t.latency.p50_ms).toBeLessThanOrEqual(t.latency.p95_ms);
      expect(t.latency.p95_ms).toBeLessThanOrEqual(t.latency.p99_ms);
    }
    expect(timing.batch.rows_per_s).toBeGreaterThan(0);
    expect(timing.requests_per_s).toBeGreaterThan(0);
    expect(timing.errors).toBe(0);
    expect(timing.connections).toBe(4);
  });

  it('stops with the URL and the status when the server refuses a request', async () => {
    const rows = sampleRows(bundle.preprocess, 16);
    const attempt = measureHttp({ url, token: 'wrong' }, rows, options);
    await expect(attempt).rejects.toThrowError(PipelineError);
    await expect(measureHttp({ url }, rows, options)).rejects.toThrow(
      `${url}/v1/predict: answered 401`,
    );
  });

  it('names an address nothing listens on', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const rows = sampleRows(bundle.preprocess, 4);
    await expect(measureHttp({ url: `http://127.0.0.1:${port}` }, rows, options)).rejects.toThrow(
      `http://127.0.0.1:${port}/v1/predict: cannot connect`,
    );
  });

  it('rejects a URL that is not http', async () => {
    await expect(measureHttp({ url: 'ftp://example.test' }, [], options)).rejects.toThrow(
      'expected an http:// or https:// URL',
    );
  });
});
