/**
 * POST /v1/feedback gives the true value for a prediction the server
 * answered, by its request_id; live accuracy over the window follows, with
 * the count it rests on. Unknown, expired, repeated and malformed feedback is
 * refused with a 4xx that says why.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let model: TrainedModel;
const servers: PredictionServer[] = [];

beforeAll(async () => {
  model = await trainPenguins();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await model?.cleanup();
});

async function serve(options: { windowSeconds?: number; buckets?: number } = {}) {
  const server = await createPredictionServer({ modelDir: model.modelDir, monitoring: options });
  servers.push(server);
  return server.listen('127.0.0.1', 0);
}

async function post(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function liveAccuracy(base: string): Promise<{ accuracy?: number; count?: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) => {
    const m = new RegExp(`^${name}\\{model_version="${model.version}"\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return { accuracy: read('mlops_live_accuracy'), count: read('mlops_live_feedback_count') };
}

it('each prediction carries a request_id; feedback that all were right gives live accuracy 1, half wrong gives 0.5', async () => {
  const base = await serve();
  expect(await liveAccuracy(base)).toEqual({ accuracy: undefined, count: undefined });
  const answered: { id: string; label: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const { status, json } = await post(base, '/v1/predict', PENGUIN);
    expect(status).toBe(200);
    expect(json.request_id).toMatch(/\S/);
    answered.push({ id: json.request_id, label: json.prediction.label });
  }
  for (const a of answered.slice(0, 2)) {
    const { status, json } = await post(base, '/v1/feedback', { request_id: a.id, value: a.label });
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'recorded', rows: 1, model_version: model.version });
  }
  expect(await liveAccuracy(base)).toEqual({ accuracy: 1, count: 2 });

  // A batch: one true value per row; one of its two is wrong.
  const batch = await post(base, '/v1/predict', { rows: [PENGUIN, PENGUIN] });
  const label = batch.json.predictions[0].label as string;
  const wrong = label === 'Adelie' ? 'Chinstrap' : 'Adelie';
  expect(
    (await post(base, '/v1/feedback', { request_id: batch.json.request_id, value: [label, wrong] }))
      .status,
  ).toBe(200);
  for (const a of answered.slice(2))
    await post(base, '/v1/feedback', { request_id: a.id, value: wrong });
  // 2 right, then 1 right and 1 wrong, then 2 wrong: 3 of 6.
  expect(await liveAccuracy(base)).toEqual({ accuracy: 0.5, count: 6 });
  const view = (await (await fetch(`${base}/v1/monitoring`)).json()) as Json;
  expect(view.versions[0].feedback).toEqual({ count: 6, accuracy: 0.5 });
});

it('unknown ids are 404, a second feedback is 409, a wrong class or type is 422', async () => {
  const base = await serve();
  const unknown = await post(base, '/v1/feedback', {
    request_id: 'never-answered',
    value: 'Adelie',
  });
  expect(unknown.status).toBe(404);
  expect(unknown.json.error.message).toContain('never-answered');

  const one = (await post(base, '/v1/predict', PENGUIN)).json.request_id as string;
  const badClass = await post(base, '/v1/feedback', { request_id: one, value: 'Emperor' });
  expect(badClass.status).toBe(422);
  expect(badClass.json.error).toMatchObject({ code: 'invalid_feedback' });
  expect(badClass.json.error.message).toContain('"Emperor"');
  expect(badClass.json.error.message).toContain('"Adelie"');
  expect((await post(base, '/v1/feedback', { request_id: one, value: 3 })).status).toBe(422);
  expect((await post(base, '/v1/feedback', { request_id: one, value: ['Adelie'] })).status).toBe(
    422,
  );
  // Refused feedback is not recorded: the id can still be scored once.
  expect((await post(base, '/v1/feedback', { request_id: one, value: 'Adelie' })).status).toBe(200);
  const again = await post(base, '/v1/feedback', { request_id: one, value: 'Adelie' });
  expect(again.status).toBe(409);
  expect(again.json.error.code).toBe('conflict');

  const batch = (await post(base, '/v1/predict', { rows: [PENGUIN, PENGUIN] })).json.request_id;
  const short = await post(base, '/v1/feedback', { request_id: batch, value: ['Adelie'] });
  expect(short.status).toBe(422);
  expect(short.json.error.message).toContain('array of 2');
  expect((await post(base, '/v1/feedback', { request_id: batch })).status).toBe(400);
});

it('an id older than the window has expired: 404', async () => {
  const base = await serve({ windowSeconds: 1, buckets: 2 });
  const id = (await post(base, '/v1/predict', PENGUIN)).json.request_id as string;
  await new Promise((r) => setTimeout(r, 1300));
  const late = await post(base, '/v1/feedback', { request_id: id, value: 'Adelie' });
  expect(late.status).toBe(404);
  expect(late.json.error.message).toContain('older than the monitoring window');
});
