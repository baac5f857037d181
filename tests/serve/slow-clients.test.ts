/**
 * Clients that stall cannot hold the server: their requests are cut off after
 * the timeouts, an answer sent before the body was read closes the connection,
 * the number of connections is capped, and shutdown does not wait for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { partialBody, PENGUIN, stall } from './fixtures.js';

let a: TrainedModel;

beforeAll(async () => {
  a = await trainPenguins(['split.seed=51']);
});

afterAll(async () => {
  await a?.cleanup();
});

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms),
    ),
  ]);
}

describe('timeouts', () => {
  let server: PredictionServer;
  let url: string;

  beforeAll(async () => {
    server = await createPredictionServer({
      modelDir: a.modelDir,
      headersTimeout: 1_000,
      requestTimeout: 2_000,
    });
    url = await server.listen('127.0.0.1', 0);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('cuts off a client that sends half a body and stalls, with 408, after the request timeout', async () => {
    const client = await stall(url, partialBody());
    const ms = await within(10_000, 'a stalled body', client.closed);
    expect(ms).toBeGreaterThanOrEqual(1_500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts off a client that stalls in its headers, or sends nothing, after the headers timeout', async () => {
    const half = await stall(url, 'POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty');
    const silent = await stall(url, '');
    const [a, b] = await within(
      10_000,
      'stalled headers',
      Promise.all([half.closed, silent.closed]),
    );
    expect(a).toBeGreaterThanOrEqual(500);
    expect(b).toBeGreaterThanOrEqual(500);
  });

  it('serves everyone else meanwhile', async () => {
    const stalled = await Promise.all(Array.from({ length: 20 }, () => stall(url, partialBody())));
    const res = await fetch(`${url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(PENGUIN),
    });
    expect(res.status).toBe(200);
    await within(10_000, 'stalled bodies', Promise.all(stalled.map((s) => s.closed)));
  });
});

describe('an answer sent before the body is read', () => {
  it('closes the connection: a 401 to a client that stalls in its body does not keep its socket', async () => {
    // Long timeouts: only the early answer may close it.
    const server = await createPredictionServer({ modelDir: a.modelDir, token: 'tok' });
    try {
      const url = await server.listen('127.0.0.1', 0);
      const client = await stall(url, partialBody({ Authorization: 'Bearer wrong' }));
      const ms = await within(5_000, 'a refused client', client.closed);
      expect(ms).toBeLessThan(5_000);
      expect(client.received()).toMatch(/^HTTP\/1\.1 401/);
      expect(client.received()).toMatch(/connection: close/i);
    } finally {
      await server.close();
    }
  });
});

describe('the connection cap', () => {
  it('refuses connections past --max-connections and serves again once stalled ones are cut off', async () => {
    const server = await createPredictionServer({
      modelDir: a.modelDir,
      maxConnections: 10,
      headersTimeout: 1_000,
      requestTimeout: 1_500,
    });
    try {
      const url = await server.listen('127.0.0.1', 0);
      const clients = await Promise.all(
        Array.from({ length: 25 }, () => stall(url, partialBody())),
      );
      // Past the cap a connection is closed at once, long before any timeout.
      const quick = await Promise.all(
        clients.map((c) =>
          Promise.race([c.closed, new Promise<number>((r) => setTimeout(() => r(Infinity), 700))]),
        ),
      );
      expect(quick.filter((ms) => ms < 700).length).toBeGreaterThanOrEqual(15);
      await within(10_000, 'stalled clients', Promise.all(clients.map((c) => c.closed)));
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('close() does not wait for a stalled upload past the shutdown grace', async () => {
    const server = await createPredictionServer({ modelDir: a.modelDir, shutdownGrace: 1_000 });
    const url = await server.listen('127.0.0.1', 0);
    const client = await stall(url, partialBody());
    // Let the server see the request start.
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await within(10_000, 'close()', server.close());
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    await within(2_000, 'the stalled client', client.closed);
  });
});
