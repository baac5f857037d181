import autocannon from 'autocannon';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN, switchLink } from './fixtures.js';

// Response bodies are what the assertions check, field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TOKEN = 's3cret-token-for-tests';
let a: TrainedModel;
let b: TrainedModel;
let tmp: string;
let server: PredictionServer;
let base: string;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  a = await trainPenguins(['split.seed=11']);
  b = await trainPenguins(['split.seed=12']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-serve-'));
  await switchLink(join(tmp, 'current'), a.modelDir);
  server = await createPredictionServer({
    modelDir: join(tmp, 'current'),
    token: TOKEN,
    bodyLimit: 64 * 1024,
    maxRows: 100,
  });
  base = await server.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await server?.close();
  await Promise.all([a?.cleanup(), b?.cleanup()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function post(body: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`${base}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as Json,
  };
}

describe('POST /v1/predict', () => {
  it('predicts one row, and a batch in request order', async () => {
    const one = await post(PENGUIN, { ...auth, 'x-request-id': 'req-42' });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      prediction: { label: expect.any(String) },
      model_version: a.version,
      api_version: pkg.version,
      request_id: 'req-42',
    });
    const probabilities = Object.values(
      one.json.prediction.probabilities as Record<string, number>,
    );
    expect(probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    expect(one.headers.get('x-request-id')).toBe('req-42');
    expect(one.headers.get('x-model-version')).toBe(a.version);
    expect(one.headers.get('x-api-version')).toBe(pkg.version);

    const adelie = {
      ...PENGUIN,
      Island: 'Torgersen',
      'Beak Length (mm)': 38,
      'Beak Depth (mm)': 19,
      'Flipper Length (mm)': 185,
      'Body Mass (g)': 3600,
    };
    const batch = await post({ rows: [PENGUIN, adelie, { ...PENGUIN, Sex: null }] });
    expect(batch.status).toBe(200);
    expect(batch.json.predictions).toHaveLength(3);
    expect(batch.json.predictions[0]).toEqual(one.json.prediction);
    expect(batch.json.predictions.map((p: { label: string }) => p.label).slice(0, 2)).toEqual([
      'Gentoo',
      'Adelie',
    ]);
    expect(batch.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [
      'a missing field',
      { ...PENGUIN, Island: undefined },
      400,
      'invalid_input',
      { row: 0, field: 'Island', message: 'missing' },
    ],
    [
      'a wrong type',
      { ...PENGUIN, 'Body Mass (g)': 'heavy' },
      400,
      'invalid_input',
      { row: 0, field: 'Body Mass (g)', message: 'expected a number, got "heavy"' },
    ],
    [
      'an unknown field',
      { ...PENGUIN, Wingspan: 3 },
      400,
      'invalid_input',
      { row: 0, field: 'Wingspan', message: 'unknown field' },
    ],
    [
      'a bad row in a batch',
      { rows: [PENGUIN, { ...PENGUIN, Island: 7 }] },
      400,
      'invalid_input',
      { row: 1, field: 'Island', message: 'expected a string, got 7' },
    ],
    [
      'a row that is not an object',
      { rows: [PENGUIN, 'x'] },
      400,
      'invalid_request',
      { row: 1, field: '', message: 'expected an object of feature values' },
    ],
    [
      'rows that are not a list',
      { rows: 'x' },
      400,
      'invalid_request',
      { row: 0, field: 'rows', message: 'must be array' },
    ],
    [
      'too many rows',
      { rows: Array(101).fill(PENGUIN) },
      400,
      'invalid_request',
      { field: 'rows', message: 'must NOT have more than 100 items' },
    ],
    ['a body that is not JSON', '{"Island": ', 400, 'invalid_request', undefined],
    ['a huge body', { rows: Array(2000).fill(PENGUIN) }, 413, 'payload_too_large', undefined],
  ])(
    'answers %s with a 4xx error that says what is wrong',
    async (_name, body, status, code, field) => {
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe(code);
      expect(res.json.error.message.length).toBeGreaterThan(10);
      expect(res.json).toMatchObject({ model_version: a.version, api_version: pkg.version });
      if (field) expect(res.json.error.fields).toContainEqual(expect.objectContaining(field));
    },
  );

  it('answers odd bodies with a 4xx, never a 500', async () => {
    const bodies = [
      'null',
      '[]',
      '"row"',
      '42',
      '{"rows": []}',
      '{"rows": [null]}',
      '{"rows": [[1, 2]]}',
      '{"__proto__": {"Island": "Biscoe"}}',
      '{"constructor": {"prototype": {"Island": "Biscoe"}}}',
      JSON.stringify({ ...PENGUIN, Island: { nested: [1, { deep: true }] } }),
      '{"Island": "Biscoe", "Body Mass (g)": 1e400}',
      JSON.stringify(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`f${i}`, i]))),
      '{"Island": "Biscoe"'.repeat(3),
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status, body.slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(res.status, body.slice(0, 60)).toBeLessThan(500);
      expect(res.json.error.message, body.slice(0, 60)).toBeTruthy();
    }
  });

  it('refuses a missing or wrong token with 401, before reading the body', async () => {
    const missing = await post(PENGUIN, {});
    expect(missing.status).toBe(401);
    expect(missing.json.error.message).toMatch(/missing Authorization header/);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await post({ rows: Array(2000).fill(PENGUIN) }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toBe('invalid bearer token');
    const scheme = await post(PENGUIN, { authorization: `Basic ${TOKEN}` });
    expect(scheme.status).toBe(401);
  });

  it('answers a wrong content type with 415 and an unknown route with 404', async () => {
    const res = await fetch(`${base}/v1/predict`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/xml' },
      body: '<row/>',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as Json).error.message).toMatch(/application\/json/);
    const missing = await fetch(`${base}/v2/predict`, { method: 'POST' });
    expect(missing.status).toBe(404);
  });
});

describe('operations', () => {
  it('health, readiness and the model description', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', model_version: a.version });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    // The folder holding the model folder, links resolved: a deploy's release.
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      model_version: a.version,
      release: basename(dirname(await realpath(a.modelDir))),
    });
    const model = (await (await fetch(`${base}/v1/model`)).json()) as Json;
    expect(model.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(model.features).toContainEqual({
      name: 'Island',
      type: 'categorical',
      required: true,
      categories: ['Biscoe', 'Dream', 'Torgersen'],
    });
  });

  it('serves an OpenAPI document from the route schemas, and Swagger UI', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toBe(pkg.version);
    const predict = doc.paths['/v1/predict'].post;
    expect(predict.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(predict.requestBody)).toContain('rows');
    // "Try it out" starts from a row of the model's own features.
    const example = predict.requestBody.content['application/json'].examples.example1.value;
    expect(Object.keys(example).sort()).toEqual(Object.keys(PENGUIN).sort());
    expect(Object.keys(predict.responses)).toEqual(expect.arrayContaining(['200', '4XX']));
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['ErrorResponse', 'Prediction', 'Row']),
    );
    const ui = await fetch(`${base}/docs/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    expect((await fetch(`${base}/docs/static/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('exposes Prometheus metrics: latency, requests and errors by route and status, predictions, model info', async () => {
    await post(PENGUIN);
    await post({ ...PENGUIN, Island: 3 });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(
      /^mlops_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/predict",status_code="200"\} \d+$/m,
    );
    expect(text).toMatch(
      /^mlops_http_requests_total\{method="POST",route="\/v1\/predict",status_code="400"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^mlops_http_request_errors_total\{method="POST",route="\/v1\/predict",status_code="401"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      new RegExp(
        `^mlops_predictions_total\\{model_version="${a.version}",class="Gentoo"\\} [1-9]\\d*$`,
        'm',
      ),
    );
    expect(text).toContain(
      `mlops_model_info{model_version="${a.version}",name="penguins-species",task="classification"} 1`,
    );
    expect(text).toMatch(/^mlops_process_resident_memory_bytes \d+/m);
    // No request of this suite, however bad, was a server error.
    expect(text).not.toMatch(/status_code="5\d\d"/);
  });

  it('a 3 s load run at 10 connections has no error and no non-2xx answer', async () => {
    const result = await autocannon({
      url: `${base}/v1/predict`,
      method: 'POST',
      connections: 10,
      duration: 3,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(PENGUIN),
    });
    expect(result.requests.total).toBeGreaterThan(100);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
  });

  it('hot reload under load swaps the model with no failed request', async () => {
    const reload = async (target: string) => {
      await switchLink(join(tmp, 'current'), target);
      const res = await fetch(`${base}/admin/reload`, { method: 'POST', headers: auth });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const load = autocannon({
      url: `${base}/v1/predict`,
      method: 'POST',
      connections: 10,
      duration: 3,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(PENGUIN),
    });
    const reloads = [];
    for (const m of [b, a, b]) {
      await new Promise((r) => setTimeout(r, 700));
      reloads.push(await reload(m.modelDir));
    }
    const result = await load;
    expect(reloads.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(reloads[0]!.json).toMatchObject({
      status: 'reloaded',
      previous_version: a.version,
      model_version: b.version,
    });
    expect(result.errors + result.timeouts + result.non2xx).toBe(0);
    expect(result.requests.total).toBeGreaterThan(100);
    const text = await (await fetch(`${base}/metrics`)).text();
    // Both versions answered requests during the run.
    expect(text).toMatch(
      new RegExp(`mlops_predictions_total\\{model_version="${b.version}",class="\\w+"\\} [1-9]`),
    );
    expect(text).toContain(
      `mlops_model_info{model_version="${b.version}",name="penguins-species",task="classification"} 1`,
    );
    expect(text).not.toContain(`mlops_model_info{model_version="${a.version}"`);
  });

  it('a reload that fails keeps the current model serving; admin needs the token', async () => {
    const current = server.slot.current!.version;
    await switchLink(join(tmp, 'current'), join(tmp, 'does-not-exist'));
    const res = await fetch(`${base}/admin/reload`, { method: 'POST', headers: auth });
    expect(res.status).toBe(409);
    expect(((await res.json()) as Json).error.message).toMatch(
      new RegExp(`still serving ${current}`),
    );
    expect((await post(PENGUIN)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ model_version: current });
    expect((await fetch(`${base}/admin/reload`, { method: 'POST' })).status).toBe(401);
  });
});

describe('shutdown', () => {
  it('close() lets a request in flight finish, then stops accepting', async () => {
    const own = await createPredictionServer({ modelDir: a.modelDir });
    const url = new URL(await own.listen('127.0.0.1', 0));
    const body = Buffer.from(JSON.stringify(PENGUIN));
    const answer = new Promise<{ status: number; json: Json }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/predict',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      // Half the body now: the request has started when close() is called.
      req.write(body.subarray(0, 20));
      setTimeout(() => req.end(body.subarray(20)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const closed = own.close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.json.prediction.label).toEqual(expect.any(String));
    await closed;
    await expect(fetch(`${url.origin}/healthz`)).rejects.toThrow();
  });
});

describe('without a model', () => {
  it('is alive but not ready, answers predict 503, and becomes ready on reload', async () => {
    const dir = join(tmp, 'later');
    const empty = await createPredictionServer({ modelDir: dir });
    try {
      const url = await empty.listen('127.0.0.1', 0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as Json).error.message).toMatch(/metadata.json: missing/);
      const predict = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(PENGUIN),
      });
      expect(predict.status).toBe(503);
      // Without a token the admin route is off; a reload comes from SIGHUP (here: the library call).
      expect((await fetch(`${url}/admin/reload`, { method: 'POST' })).status).toBe(403);
      await switchLink(dir, a.modelDir);
      expect((await empty.reload()).ok).toBe(true);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await empty.close();
    }
  });
});
