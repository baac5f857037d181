/**
 * Monitoring a regression model (the cars example): a date feature given as
 * its text is binned like the training days, the prediction mean and PSI are
 * exported, and feedback gives live rmse and mae, beside the gate's bound.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runPipeline } from '../../pipeline/run/run.js';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Car = Record<string, string | number | null>;

const example = fileURLToPath(new URL('../../examples/cars', import.meta.url));
let root: string;
let server: PredictionServer;
let base: string;
let cars: Car[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlops-cars-'));
  await cp(example, root, { recursive: true });
  const { context } = await runPipeline({
    config: join(root, 'mlops.yaml'),
    overrides: ['model.epochs=20'],
    backend: 'cpu',
  });
  server = await createPredictionServer({ modelDir: context.paths.model });
  base = await server.listen('127.0.0.1', 0);
  cars = (JSON.parse(await readFile(join(root, 'data', 'cars.json'), 'utf8')) as Car[]).filter(
    (c) => c['Miles_per_Gallon'] !== null,
  );
});

afterAll(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return res.json();
}

it('dates given as text are binned, predictions summarised, and feedback gives rmse and mae', async () => {
  const rows = cars.map(({ Name: _name, Miles_per_Gallon: _mpg, ...features }) => features);
  const answer = await post('/v1/predict', { rows: rows.slice(0, 200) });
  await post('/v1/predict', { rows: rows.slice(200) });
  const view = ((await (await fetch(`${base}/v1/monitoring`)).json()) as Json).versions[0];
  const year = view.features.find((f: Json) => f.name === 'Year');
  expect(year.present).toBe(rows.length);
  expect(year.verdict).toBe('ok');
  expect(year.psi).toBeLessThan(0.2);
  expect(view.predictions.task).toBe('regression');
  expect(view.predictions.mean).toBeGreaterThan(10);
  expect(view.predictions.psi).toBeLessThan(0.2);

  const truth = cars.slice(0, 200).map((c) => c['Miles_per_Gallon'] as number);
  await post('/v1/feedback', { request_id: answer.request_id, value: truth });
  const errors = answer.predictions.map((p: { value: number }, i: number) => p.value - truth[i]!);
  const mae = errors.reduce((a: number, e: number) => a + Math.abs(e), 0) / errors.length;
  const rmse = Math.sqrt(errors.reduce((a: number, e: number) => a + e * e, 0) / errors.length);
  const text = await (await fetch(`${base}/metrics`)).text();
  const read = (name: string) =>
    Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)![1]);
  expect(read('mlops_live_feedback_count')).toBe(200);
  expect(read('mlops_live_mae')).toBeCloseTo(mae, 9);
  expect(read('mlops_live_rmse')).toBeCloseTo(rmse, 9);
  // The gate bounds the alert rules compare with: gates.rmse.max is set, gates.mae is not.
  expect(read('mlops_live_rmse_max')).toBe(4);
  expect(text).not.toMatch(/^mlops_live_mae_max\{/m);
  expect(read('mlops_prediction_mean')).toBeCloseTo(view.predictions.mean, 9);
  expect(text).not.toMatch(/^mlops_live_accuracy\{/m);

  const one = await post('/v1/predict', rows[0]);
  const wrongType = await fetch(`${base}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request_id: one.request_id, value: 'fast' }),
  });
  expect(wrongType.status).toBe(422);
  expect(((await wrongType.json()) as Json).error.message).toContain('expected a finite number');
});
