/**
 * The alert rules evaluated by a real Prometheus scraping a real server:
 * traffic drawn from the training data keeps MlopsFeatureDrift quiet; traffic
 * with one feature shifted makes it fire, for that feature only. The rules
 * are deploy/monitoring/rules.yml with their `for:` durations set to zero, so
 * the test need not wait ten minutes; the expressions are the shipped ones.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

type Row = Record<string, string | number | null>;
interface Alert {
  labels: Record<string, string>;
  state: string;
}

const RULES = fileURLToPath(new URL('../../deploy/monitoring/rules.yml', import.meta.url));
let model: TrainedModel;
let server: PredictionServer;
let base: string;
let prometheus: RunningPrometheus | undefined;
let promUrl: string;
let tmp: string;
let rows: Row[];

async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 40): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${seconds} s\n${prometheus?.log() ?? ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  model = await trainPenguins();
  rows = JSON.parse(await readFile(join(model.root, 'data', 'penguins.json'), 'utf8')) as Row[];
  tmp = await mkdtemp(join(tmpdir(), 'mlops-alerts-'));
  server = await createPredictionServer({ modelDir: model.modelDir });
  base = await server.listen('127.0.0.1', 0);
  const rules = (await readFile(RULES, 'utf8')).replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
  await writeFile(join(tmp, 'rules.yml'), rules);
  await writeFile(
    join(tmp, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      '  - job_name: mlops',
      '    static_configs:',
      `      - targets: ['${new URL(base).host}']`,
      '',
    ].join('\n'),
  );
  prometheus = await startPrometheus(join(tmp, 'prometheus.yml'), join(tmp, 'data'));
  promUrl = prometheus.url;
});

afterAll(async () => {
  await prometheus?.stop();
  await server?.close();
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function predict(batch: Row[]): Promise<void> {
  for (let i = 0; i < batch.length; i += 100) {
    const res = await fetch(`${base}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: batch.slice(i, i + 100) }),
    });
    expect(res.status).toBe(200);
  }
}

async function query(promql: string): Promise<{ metric: Record<string, string> }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string> }[] } }).data
    .result;
}

async function driftAlerts(): Promise<Alert[]> {
  const res = await fetch(`${promUrl}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: Alert[] } };
  return body.data.alerts.filter((a) => a.labels.alertname === 'MlopsFeatureDrift');
}

it('Prometheus evaluates the drift rule: quiet on training-like traffic, firing for the one shifted feature', async () => {
  await predict(rows);
  // Every feature's PSI has been scraped, and the rule evaluated over it since.
  await until('the PSI of all six features scraped', async () =>
    (await query('mlops_feature_psi{job="mlops"}')).length === 6 ? true : undefined,
  );
  await new Promise((r) => setTimeout(r, 2500));
  expect(await driftAlerts()).toEqual([]);

  const shifted = rows.map((r) => ({
    ...r,
    'Body Mass (g)': r['Body Mass (g)'] === null ? null : (r['Body Mass (g)'] as number) + 1500,
  }));
  for (let i = 0; i < 3; i++) await predict(shifted);
  const firing = await until('MlopsFeatureDrift firing', async () => {
    const alerts = (await driftAlerts()).filter((a) => a.state === 'firing');
    return alerts.length ? alerts : undefined;
  });
  expect(firing.map((a) => a.labels.feature)).toEqual(['Body Mass (g)']);
  expect(firing[0]!.labels).toMatchObject({
    job: 'mlops',
    model_version: model.version,
    severity: 'warning',
  });
});
