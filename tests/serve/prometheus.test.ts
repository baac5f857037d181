/**
 * A real Prometheus (Debian's package; scripts/services/prometheus.sh installs
 * it) scrapes a running server, and PromQL over its HTTP API counts the
 * requests the test sent.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';
import { PENGUIN } from './fixtures.js';

let model: TrainedModel;
let server: PredictionServer;
let prometheus: RunningPrometheus | undefined;
let promUrl: string;
let tmp: string;
let base: string;

async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 30): Promise<T> {
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
  tmp = await mkdtemp(join(tmpdir(), 'mlops-prometheus-'));
  server = await createPredictionServer({ modelDir: model.modelDir });
  base = await server.listen('127.0.0.1', 0);
  const target = new URL(base).host;
  const config = join(tmp, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: mlops',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  prometheus = await startPrometheus(config, join(tmp, 'data'));
  promUrl = prometheus.url;
});

afterAll(async () => {
  await prometheus?.stop();
  await server?.close();
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function query(promql: string): Promise<number | undefined> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { value: [number, string] }[] };
  };
  const sample = body.data.result[0];
  return sample ? Number(sample.value[1]) : undefined;
}

it('Prometheus scrapes /metrics and a PromQL query returns the request count', async () => {
  const sent = { ok: 7, bad: 3 };
  for (let i = 0; i < sent.ok + sent.bad; i++) {
    const row = i < sent.ok ? PENGUIN : { ...PENGUIN, Island: 1 };
    const res = await fetch(`${base}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(row),
    });
    expect(res.status).toBe(i < sent.ok ? 200 : 400);
  }
  await until('the target is up', async () =>
    (await query('up{job="mlops"}')) === 1 ? true : undefined,
  );
  const count = (status: number) =>
    `sum(mlops_http_requests_total{job="mlops",route="/v1/predict",status_code="${status}"})`;
  // Scrapes come every second; wait for one taken after the last request.
  expect(
    await until('200s counted', async () =>
      (await query(count(200))) === sent.ok ? sent.ok : undefined,
    ),
  ).toBe(sent.ok);
  expect(await query(count(400))).toBe(sent.bad);
  expect(await query(`sum(mlops_predictions_total{model_version="${model.version}"})`)).toBe(
    sent.ok,
  );
  expect(await query('mlops_model_info')).toBe(1);
});
