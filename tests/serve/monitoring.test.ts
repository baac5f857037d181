/**
 * The server compares its live inputs with the training profile in the
 * bundle: rows drawn from the training data keep every feature's PSI under
 * data.drift.psi, one shifted feature pushes its PSI over, and a bundle
 * written before profiles still serves, with "no profile".
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProfileSchema } from '../../pipeline/monitor/profile.js';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Row = Record<string, string | number | null>;

let model: TrainedModel;
let tmp: string;
let rows: Row[];
const servers: PredictionServer[] = [];

beforeAll(async () => {
  model = await trainPenguins();
  tmp = await mkdtemp(join(tmpdir(), 'mlops-monitoring-'));
  rows = JSON.parse(await readFile(join(model.root, 'data', 'penguins.json'), 'utf8')) as Row[];
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function serve(modelDir = model.modelDir): Promise<string> {
  const server = await createPredictionServer({ modelDir });
  servers.push(server);
  return server.listen('127.0.0.1', 0);
}

async function predictAll(base: string, batch: Row[]): Promise<void> {
  for (let i = 0; i < batch.length; i += 100) {
    const res = await fetch(`${base}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: batch.slice(i, i + 100) }),
    });
    expect(res.status).toBe(200);
  }
}

async function monitoring(base: string): Promise<Json> {
  const res = await fetch(`${base}/v1/monitoring`);
  expect(res.status).toBe(200);
  return res.json();
}

/** `mlops_feature_psi` by feature, from the Prometheus text. */
async function psiGauges(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^mlops_feature_psi\{([^}]*)\} (\S+)$/gm))
    out.set(/feature="([^"]*)"/.exec(m[1]!)![1]!, Number(m[2]));
  return out;
}

it('the bundle carries a training profile: feature bins and shares, missing shares, test-split predictions, the drift threshold', async () => {
  const profile = ProfileSchema.parse(
    JSON.parse(await readFile(join(model.modelDir, 'profile.json'), 'utf8')),
  );
  expect(profile.features.map((f) => f.name)).toEqual([
    'Island',
    'Beak Length (mm)',
    'Beak Depth (mm)',
    'Flipper Length (mm)',
    'Body Mass (g)',
    'Sex',
  ]);
  const mass = profile.features.find((f) => f.name === 'Body Mass (g)')!;
  expect(mass.type === 'numeric' && mass.edges.length).toBeGreaterThan(5);
  expect(mass.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  const island = profile.features[0]!;
  expect(island.type === 'categorical' && island.categories).toEqual([
    'Biscoe',
    'Dream',
    'Torgersen',
  ]);
  expect(profile.predictions.task).toBe('classification');
  expect(profile.predictions.rows).toBeGreaterThan(0);
  expect(profile.thresholds.psi).toBe(0.2);
  expect(profile.thresholds.accuracy_min).toBe(0.95);
});

it('traffic from the training distribution keeps every PSI under the threshold; one shifted feature goes over it, alone', async () => {
  const steady = await serve();
  const before = await monitoring(steady);
  expect(before.versions[0]).toMatchObject({
    model_version: model.version,
    profile: true,
    rows: 0,
  });
  expect(before.versions[0].features[0]).toMatchObject({ psi: null, verdict: 'too_few_rows' });

  await predictAll(steady, rows);
  const calm = (await monitoring(steady)).versions[0];
  expect(calm.rows).toBe(rows.length);
  for (const f of calm.features) {
    expect(f.verdict, f.name).toBe('ok');
    expect(f.psi, f.name).toBeLessThan(0.2);
  }
  expect(calm.features.find((f: Json) => f.name === 'Sex').missing_ratio).toBeGreaterThan(0);
  const shares = calm.predictions.classes.map((c: Json) => c.live_share);
  expect(shares.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
  const gauges = await psiGauges(steady);
  expect([...gauges.keys()].sort()).toEqual(calm.features.map((f: Json) => f.name).sort());
  for (const value of gauges.values()) expect(value).toBeLessThan(0.2);

  const shifted = await serve();
  await predictAll(
    shifted,
    rows.map((r) => ({
      ...r,
      'Body Mass (g)': r['Body Mass (g)'] === null ? null : (r['Body Mass (g)'] as number) + 1200,
    })),
  );
  const drift = (await monitoring(shifted)).versions[0];
  for (const f of drift.features)
    expect(f.verdict, f.name).toBe(f.name === 'Body Mass (g)' ? 'drift' : 'ok');
  const metrics = await psiGauges(shifted);
  expect(metrics.get('Body Mass (g)')).toBeGreaterThan(0.2);
  const text = await (await fetch(`${shifted}/metrics`)).text();
  expect(text).toContain(`mlops_drift_psi_threshold{model_version="${model.version}"} 0.2`);
  expect(text).toMatch(
    /mlops_prediction_class_ratio\{model_version="[^"]+",class="Gentoo"\} 0\.\d+/,
  );
});

it('unknown categories and missing values are counted per feature', async () => {
  const base = await serve();
  await predictAll(
    base,
    rows.map((r, i) => ({ ...r, Island: i % 4 === 0 ? 'Atlantis' : r.Island!, Sex: null })),
  );
  const view = (await monitoring(base)).versions[0];
  const island = view.features.find((f: Json) => f.name === 'Island');
  expect(island.unknown_ratio).toBeCloseTo(Math.ceil(rows.length / 4) / rows.length, 6);
  expect(view.features.find((f: Json) => f.name === 'Sex').missing_ratio).toBe(1);
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toMatch(/mlops_feature_unknown_ratio\{[^}]*feature="Island"\} 0\.2\d*/);
  expect(text).toMatch(/mlops_feature_missing_ratio\{[^}]*feature="Sex"\} 1\n/);
});

it('a bundle without profile.json serves, and monitoring says it has no profile', async () => {
  const old = join(tmp, 'old-model');
  await cp(model.modelDir, old, { recursive: true });
  await rm(join(old, 'profile.json'));
  const base = await serve(old);
  await predictAll(base, rows.slice(0, 150));
  const view = (await monitoring(base)).versions[0];
  expect(view).toMatchObject({ profile: false, rows: 150, features: [] });
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).not.toMatch(/^mlops_feature_psi\{/m);
  expect(text).toMatch(/^mlops_monitoring_window_rows\{[^}]*\} 150$/m);
});
