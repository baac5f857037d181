/**
 * The loop closed end to end, every piece real: a prediction server, a
 * Prometheus scraping it and evaluating deploy/monitoring/rules.yml (with
 * `for:` set to zero), an Alertmanager routed by deploy/monitoring/alertmanager.yml
 * (its waits shortened, its receiver pointed here), `mlops monitor dispatch` as
 * a process, and the GitHub API stand-in, which checks every request against
 * GitHub's OpenAPI description. Training-like traffic requests nothing; one
 * shifted feature requests one data refresh naming it, however many times
 * Alertmanager sends the alert again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createPredictionServer, type PredictionServer } from '../../pipeline/serve/server.js';
import { startGitHubServer, type GitHubServer } from '../actions/helpers/github-server.js';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

type Row = Record<string, string | number | null>;
interface Route {
  receiver: string;
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}
interface AlertmanagerConfig {
  route: Route;
  receivers: {
    name: string;
    webhook_configs?: {
      url: string;
      http_config: { authorization: { credentials_file: string } };
    }[];
  }[];
}

const MONITORING = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const MLOPS = fileURLToPath(new URL('../../bin/mlops.js', import.meta.url));
const REPO = 'acme/penguins';
const GITHUB_TOKEN = 'github_pat_dispatch_only';
const ALERTS_TOKEN = 'alertmanager-to-receiver';

let model: TrainedModel;
let server: PredictionServer;
let base: string;
let github: GitHubServer;
let receiver: ChildProcess | undefined;
let receiverLog = '';
let alertmanager: RunningAlertmanager | undefined;
let prometheus: RunningPrometheus | undefined;
let tmp: string;
let rows: Row[];

const logs = () =>
  `\n--- mlops monitor dispatch\n${receiverLog}\n--- alertmanager\n${alertmanager?.log() ?? ''}\n--- prometheus\n${prometheus?.log() ?? ''}`;

async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 40): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s${logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `mlops monitor dispatch` as the systemd unit runs it, on a free port; its URL once listening. */
async function startReceiver(githubTokenFile: string, alertsTokenFile: string): Promise<string> {
  receiver = spawn(
    process.execPath,
    [
      MLOPS,
      'monitor',
      'dispatch',
      '--repo',
      REPO,
      '--api-url',
      github.url,
      '--github-token-file',
      githubTokenFile,
      '--token-file',
      alertsTokenFile,
      '--port',
      '0',
      '--window',
      '3600',
      '--state-file',
      join(tmp, 'state', 'dispatch.json'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  receiver.stdout!.on('data', (d: Buffer) => (receiverLog += d.toString()));
  receiver.stderr!.on('data', (d: Buffer) => (receiverLog += d.toString()));
  return until(
    'mlops monitor dispatch listening',
    async () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(receiverLog)?.[1],
    60,
  );
}

beforeAll(async () => {
  model = await trainPenguins();
  rows = JSON.parse(await readFile(join(model.root, 'data', 'penguins.json'), 'utf8')) as Row[];
  tmp = await mkdtemp(join(tmpdir(), 'mlops-dispatch-'));
  github = await startGitHubServer({
    repo: REPO,
    tokens: {
      [GITHUB_TOKEN]: { login: 'mlops-bot', actor: 'mlops-bot', pullRequestsWrite: false },
    },
  });
  const githubTokenFile = join(tmp, 'github-token');
  const alertsTokenFile = join(tmp, 'alerts-token');
  await writeFile(githubTokenFile, `${GITHUB_TOKEN}\n`);
  await chmod(githubTokenFile, 0o600);
  await writeFile(alertsTokenFile, `${ALERTS_TOKEN}\n`);
  const receiverUrl = await startReceiver(githubTokenFile, alertsTokenFile);

  server = await createPredictionServer({ modelDir: model.modelDir });
  base = await server.listen('127.0.0.1', 0);

  // The shipped routing, with waits of seconds and the receiver of this test.
  const config = parse(
    await readFile(join(MONITORING, 'alertmanager.yml'), 'utf8'),
  ) as AlertmanagerConfig;
  for (const route of [config.route, ...(config.route.routes ?? [])]) {
    if (route.group_wait) route.group_wait = '1s';
    if (route.group_interval) route.group_interval = '1s';
    if (route.repeat_interval) route.repeat_interval = '2s';
  }
  const webhook = config.receivers.find((r) => r.name === 'data-refresh')!.webhook_configs![0]!;
  expect(webhook.url).toBe('http://127.0.0.1:9095/v1/alerts');
  webhook.url = `${receiverUrl}/v1/alerts`;
  webhook.http_config.authorization.credentials_file = alertsTokenFile;
  await writeFile(join(tmp, 'alertmanager.yml'), stringify(config));
  alertmanager = await startAlertmanager(join(tmp, 'alertmanager.yml'), join(tmp, 'am-data'));

  const rules = (await readFile(join(MONITORING, 'rules.yml'), 'utf8')).replace(
    /^(\s+)for: \S+$/gm,
    '$1for: 0s',
  );
  await writeFile(join(tmp, 'rules.yml'), rules);
  await writeFile(
    join(tmp, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
      scrape_configs: [{ job_name: 'mlops', static_configs: [{ targets: [new URL(base).host] }] }],
    }),
  );
  prometheus = await startPrometheus(join(tmp, 'prometheus.yml'), join(tmp, 'prom-data'));
}, 240_000);

afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  if (receiver && receiver.exitCode === null) {
    const exited = new Promise((r) => receiver!.once('exit', r));
    receiver.kill('SIGTERM');
    await exited;
  }
  await server?.close();
  await github?.close();
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

async function query(
  promql: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return (
    (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    }
  ).data.result;
}

const dispatches = () =>
  github.requests.filter((r) => r.operationId === 'repos/create-dispatch-event');

/** Notifications Alertmanager delivered to the webhook, from its own counter. */
async function webhookNotifications(): Promise<number> {
  const text = await (await fetch(`${alertmanager!.url}/metrics`)).text();
  const line = /^alertmanager_notifications_total\{integration="webhook"\} (\S+)$/m.exec(text);
  return Number(line?.[1] ?? 0);
}

it('one shifted feature requests one data refresh naming it, however often the alert is sent again', async () => {
  await predict(rows);
  await until('the PSI of all six features scraped', async () =>
    (await query('mlops_feature_psi{job="mlops"}')).length === 6 ? true : undefined,
  );
  const threshold = Number((await query('mlops_drift_psi_threshold{job="mlops"}'))[0]!.value[1]);
  const psi = await query('mlops_feature_psi{job="mlops"}');
  for (const series of psi) expect(Number(series.value[1])).toBeLessThan(threshold);
  // Time for rules to be evaluated and anything firing to reach the receiver.
  await new Promise((r) => setTimeout(r, 3000));
  expect(dispatches()).toEqual([]);
  expect(await webhookNotifications()).toBe(0);

  const shifted = rows.map((r) => ({
    ...r,
    'Body Mass (g)': r['Body Mass (g)'] === null ? null : (r['Body Mass (g)'] as number) + 1500,
  }));
  for (let i = 0; i < 3; i++) await predict(shifted);
  await until('a repository_dispatch', async () => (dispatches().length ? true : undefined));
  // Alertmanager sends the still-firing group again every repeat_interval (2 s
  // here); the receiver answers each with "suppressed".
  await until('three webhook notifications', async () =>
    (await webhookNotifications()) >= 3 ? true : undefined,
  );
  expect(github.violations).toEqual([]);
  expect(dispatches()).toHaveLength(1);
  const body = dispatches()[0]!.body as {
    event_type: string;
    client_payload: {
      reason: string;
      summary: string;
      alerts: { name: string; feature?: string; value?: number; model_version?: string }[];
    };
  };
  expect(body.event_type).toBe('drift-alert');
  expect(Object.keys(body.client_payload).sort()).toEqual(['alerts', 'reason', 'summary']);
  expect(body.client_payload.reason).toBe('drift');
  expect(body.client_payload.alerts).toEqual([
    {
      name: 'MlopsFeatureDrift',
      feature: 'Body Mass (g)',
      value: expect.any(Number) as number,
      model_version: model.version,
    },
  ]);
  expect(body.client_payload.alerts[0]!.value).toBeGreaterThan(threshold);
  expect(body.client_payload.summary).toContain('| drift (PSI) | Body Mass (g) |');
  expect(body.client_payload.summary).toContain(`\`${model.version}\``);
  expect(body.client_payload.summary.length).toBeLessThanOrEqual(2000);
  expect(receiverLog).toContain('requested a data refresh on acme/penguins (drift: Body Mass (g))');
  expect(receiverLog).toContain('refresh already requested');
  expect(receiverLog).not.toContain(GITHUB_TOKEN);
  const state = JSON.parse(await readFile(join(tmp, 'state', 'dispatch.json'), 'utf8')) as {
    last_sent: string;
  };
  expect(Date.now() - Date.parse(state.last_sent)).toBeLessThan(60_000);
}, 120_000);
