/**
 * What a request can make the server do: it is bounded before anything runs on
 * it, one bad request never fails its neighbours, nothing is echoed back whole,
 * and a row the model cannot predict is an error naming that row.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN } from './fixtures.js';

// Response bodies are what the assertions check, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let a: TrainedModel;
let tmp: string;
let server: PredictionServer;
let base: string;

beforeAll(async () => {
  a = await trainPenguins(['split.seed=31']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-hostile-'));
  server = await createPredictionServer({ modelDir: a.modelDir });
  base = await server.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  await a?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function post(body: string, contentType = 'application/json', url = `${base}/v1/predict`) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Json };
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('a request cannot end the server or fail its neighbours', () => {
  it('answers arrays nested 5,000 deep with 400, one row or a batch, while valid requests batched with them succeed', async () => {
    const deep = `{"Island": ${nested(5000)}}`;
    const deepBatch = `{"rows": [${JSON.stringify(PENGUIN)}, {"Island": ${nested(5000)}}]}`;
    const valid = JSON.stringify(PENGUIN);
    // Sent together, so that they share a batch.
    const answers = await Promise.all([
      post(valid),
      post(deep),
      post(valid),
      post(deepBatch),
      post(valid),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 400, 200, 400, 200]);
    expect(answers[1]!.json.error.message).toMatch(/nested more than 8 levels deep/);
    expect(answers[0]!.json.prediction.label).toEqual(expect.any(String));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('refuses an object with more fields, or a name or text longer, than the limits', async () => {
    const many = JSON.stringify(
      Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`f${i}`, i])),
    );
    const longName = JSON.stringify({ ...PENGUIN, ['k'.repeat(257)]: 1 });
    const longText = JSON.stringify({ ...PENGUIN, Island: 'x'.repeat(1025) });
    for (const [body, pattern] of [
      [many, /more than 1000 fields/],
      [longName, /field name "k{63}… is 257 characters long \(at most 256\)/],
      [longText, /string value "x{63}… is 1025 characters long \(at most 1024\)/],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_request');
      expect(res.json.error.message).toMatch(pattern);
    }
    // Just inside every limit: answered on its merits.
    const inside = JSON.stringify({ ...PENGUIN, Island: 'x'.repeat(1024) });
    expect((await post(inside)).status).toBe(200);
  });

  it('never echoes a 100 KB field name back: names in errors are clipped to 64 characters', async () => {
    const name = 'n'.repeat(100_000);
    const res = await post(JSON.stringify({ ...PENGUIN, [name]: 1 }));
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(2_000);
    expect(res.json.error.message).toContain(`"${'n'.repeat(63)}…`);
    // Under the key limit, an unknown field is listed, clipped too.
    const shorter = await post(JSON.stringify({ ...PENGUIN, ['m'.repeat(200)]: 1 }));
    expect(shorter.status).toBe(400);
    expect(shorter.json.error.fields).toContainEqual({
      row: 0,
      field: `${'m'.repeat(64)}…`,
      message: 'unknown field',
    });
    expect(shorter.text).not.toContain('m'.repeat(65));
    // A long value of the wrong type, and a long unknown path, are clipped the same way.
    const value = await post(JSON.stringify({ ...PENGUIN, 'Body Mass (g)': 'v'.repeat(1000) }));
    expect(value.json.error.fields[0].message).toBe(`expected a number, got "${'v'.repeat(64)}…"`);
    const route = await post('{}', 'application/json', `${base}/${'p'.repeat(5000)}`);
    expect(route.status).toBe(404);
    expect(route.text.length).toBeLessThan(1_000);
  });

  it('answers text/plain, and any body that is not JSON, with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await post(JSON.stringify(PENGUIN), type);
      expect(res.status, type).toBe(415);
      expect(res.json.error.code).toBe('unsupported_media_type');
    }
  });
});

describe('numbers the model cannot take', () => {
  it('answers 1e308 with a 400 naming the row and the field, never a 500', async () => {
    const res = await post(
      JSON.stringify({ rows: [PENGUIN, { ...PENGUIN, 'Body Mass (g)': 1e308 }] }),
    );
    expect(res.status).toBe(400);
    expect(res.json.error.fields).toEqual([
      { row: 1, field: 'Body Mass (g)', message: '1e+308 is out of the range the model takes' },
    ]);
    const single = await post(JSON.stringify({ ...PENGUIN, 'Body Mass (g)': 1e308 }));
    expect(single.status).toBe(400);
  });

  it('answers a row whose prediction is not finite with 422 naming the row; the others in its batch are not affected', async () => {
    // Weights a billion billion times too large: typical rows still give finite
    // probabilities, a row far outside the training data overflows.
    const dir = join(tmp, 'huge-weights');
    await cp(a.modelDir, dir, { recursive: true });
    const bytes = await readFile(join(dir, 'weights.bin'));
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < floats.length; i++) floats[i] = floats[i]! * 1e15;
    await writeFile(join(dir, 'weights.bin'), bytes);
    const own = await createPredictionServer({ modelDir: dir });
    try {
      expect(own.slot.current).toBeDefined();
      const url = `${await own.listen('127.0.0.1', 0)}/v1/predict`;
      const far = { ...PENGUIN, 'Body Mass (g)': 1e20 };
      const [batch, alone, fine] = await Promise.all([
        post(JSON.stringify({ rows: [PENGUIN, far] }), 'application/json', url),
        post(JSON.stringify(far), 'application/json', url),
        post(JSON.stringify(PENGUIN), 'application/json', url),
      ]);
      expect(batch.status).toBe(422);
      expect(batch.json.error.code).toBe('non_finite_prediction');
      expect(batch.json.error.fields).toEqual([
        { row: 1, field: '', message: expect.stringMatching(/no finite prediction/) },
      ]);
      expect(alone.status).toBe(422);
      expect(fine.status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
