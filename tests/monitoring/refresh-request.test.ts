/**
 * The parts of closing the loop on their own: firing alerts into a data-refresh
 * request (evidence, order, size), the once-per-window gate, and the receiver
 * (`mlops monitor dispatch`'s server) talking to the GitHub API stand-in.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sendRepositoryDispatch } from '../../pipeline/cli/github-dispatch.js';
import type { WebhookAlert } from '../../pipeline/monitor/alert-webhook.js';
import { RefreshGate } from '../../pipeline/monitor/refresh-gate.js';
import {
  REFRESH_ALERTS,
  refreshRequest,
  RefreshRequestSchema,
  SUMMARY_MAX,
} from '../../pipeline/monitor/refresh-request.js';
import { createAlertReceiver, type AlertReceiver } from '../../pipeline/serve/alert-receiver.js';
import { startGitHubServer, type GitHubServer } from '../actions/helpers/github-server.js';
import { runMlops } from '../support/cli.js';

const drift = (feature: string, value: number, status = 'firing'): WebhookAlert => ({
  status: status as 'firing',
  labels: {
    alertname: 'MlopsFeatureDrift',
    feature,
    model_version: 'abc123',
    job: 'mlops',
    instance: '127.0.0.1:8080',
  },
  annotations: { value: String(value), threshold: '0.2' },
  startsAt: '2026-11-26T21:00:00Z',
});
const accuracy: WebhookAlert = {
  status: 'firing',
  labels: { alertname: 'MlopsLiveAccuracyBelowGate', model_version: 'abc123', job: 'mlops' },
  annotations: { value: '0.81', threshold: '0.95', feedback_count: '54' },
  startsAt: '2026-11-26T20:30:00Z',
};
const liveError = (
  metric: 'Rmse' | 'Mae',
  value: string,
  threshold: string,
  count = '40',
): WebhookAlert => ({
  status: 'firing',
  labels: {
    alertname: `MlopsLive${metric}AboveGate`,
    model_version: 'r1',
    job: 'mlops',
    instance: '127.0.0.1:8080',
  },
  annotations: { value, threshold, feedback_count: count },
  startsAt: '2026-11-26T22:00:00Z',
});
const webhook = (alerts: WebhookAlert[]) => ({
  version: '4',
  status: 'firing',
  receiver: 'data-refresh',
  groupKey: '{}/{}:{job="mlops"}',
  alerts,
});

describe('refreshRequest', () => {
  it('asks for nothing on resolved alerts or alerts of other rules', () => {
    const latency: WebhookAlert = {
      status: 'firing',
      labels: { alertname: 'MlopsHighPredictLatency' },
      annotations: {},
    };
    expect(refreshRequest([drift('Sex', 0.4, 'resolved'), latency], 86400)).toBeUndefined();
  });

  it('puts live accuracy first, then the most drifted features, with their values', () => {
    const request = refreshRequest(
      [drift('Island', 0.3), accuracy, drift('Body Mass (g)', 1.16)],
      86400,
    )!;
    expect(RefreshRequestSchema.parse(request)).toEqual(request);
    expect(request.reason).toBe('accuracy');
    expect(request.alerts).toEqual([
      { name: 'MlopsLiveAccuracyBelowGate', value: 0.81, model_version: 'abc123' },
      { name: 'MlopsFeatureDrift', feature: 'Body Mass (g)', value: 1.16, model_version: 'abc123' },
      { name: 'MlopsFeatureDrift', feature: 'Island', value: 0.3, model_version: 'abc123' },
    ]);
    expect(request.summary).toContain(
      '| live accuracy | 54 feedback rows | 0.81 | 0.95 | `abc123` |',
    );
    expect(request.summary).toContain('| drift (PSI) | Body Mass (g) | 1.16 | 0.2 | `abc123` |');
    expect(request.summary).toContain('Firing since 2026-11-26T20:30:00Z');
    expect(request.summary).toContain('At most one refresh is requested per 24 h');
  });

  it("requests a refresh when a regression model's live rmse is above its gate, with the rmse, the gate and the feedback rows", () => {
    const request = refreshRequest([liveError('Rmse', '452.318', '400')], 86400)!;
    expect(RefreshRequestSchema.parse(request)).toEqual(request);
    expect(request.reason).toBe('accuracy');
    expect(request.alerts).toEqual([
      { name: 'MlopsLiveRmseAboveGate', value: 452.318, model_version: 'r1' },
    ]);
    expect(request.summary).toMatch(
      /^The production server's live window shows live rmse above gates\.rmse\.max on 40 feedback rows\.\n/,
    );
    expect(request.summary).toContain('| live rmse | 40 feedback rows | 452.318 | 400 | `r1` |');
    expect(request.summary).toContain('Firing since 2026-11-26T22:00:00Z on `127.0.0.1:8080`');
  });

  it('lists live gates before drift, rmse before mae, and names each in the headline', () => {
    const request = refreshRequest(
      [drift('Island', 0.3), liveError('Mae', '390', '300', '41'), liveError('Rmse', '450', '400')],
      86400,
    )!;
    expect(request.reason).toBe('accuracy');
    expect(request.alerts.map((a) => a.name)).toEqual([
      'MlopsLiveRmseAboveGate',
      'MlopsLiveMaeAboveGate',
      'MlopsFeatureDrift',
    ]);
    expect(request.summary).toMatch(
      /^The production server's live window shows live rmse above gates\.rmse\.max on 40 feedback rows, live mae above gates\.mae\.max on 41 feedback rows, and drift on 1 feature \(PSI above data\.drift\.psi\)\./,
    );
    expect(request.summary).toContain('| live mae | 41 feedback rows | 390 | 300 | `r1` |');
  });

  it('every refresh alert is a rule of rules.yml carrying the annotations its evidence is read from', async () => {
    const rules = parse(
      await readFile(new URL('../../deploy/monitoring/rules.yml', import.meta.url), 'utf8'),
    ) as { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] };
    const byName = new Map(rules.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
    for (const name of Object.keys(REFRESH_ALERTS)) {
      const annotations = Object.keys(byName.get(name)?.annotations ?? {});
      const evidence =
        name === 'MlopsFeatureDrift'
          ? ['value', 'threshold']
          : ['value', 'threshold', 'feedback_count'];
      expect(annotations, name).toEqual(expect.arrayContaining(evidence));
    }
  });

  it('stays small whatever fires: at most 20 alerts, a summary of at most 2000 characters', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      drift(`feature ${i} | ${'x'.repeat(40)}`, 0.3 + i / 1000),
    );
    const request = refreshRequest(many, 3600)!;
    expect(request.reason).toBe('drift');
    expect(request.summary).toMatch(
      /^The production server's live window shows drift on 300 features /,
    );
    expect(request.summary).toContain('At most one refresh is requested per 1 h.');
    expect(request.alerts).toHaveLength(20);
    expect(request.alerts[0]!.feature).toMatch(/^feature 299 /);
    expect(request.summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(request.summary).toMatch(/\| … and \d+ more \|/);
    // A column name cannot break the table.
    expect(request.summary).toContain('feature 299 \\| xxx');
  });
});

describe('RefreshGate', () => {
  it('lets one request through per window; one in flight holds it, one that failed gives it back', () => {
    const gate = new RefreshGate(60_000);
    expect(gate.acquire(0)).toEqual({ ok: true });
    expect(gate.acquire(1)).toEqual({ ok: false, reason: 'in_flight' });
    gate.settle(undefined);
    expect(gate.acquire(2)).toEqual({ ok: true });
    gate.settle(2);
    expect(gate.acquire(59_000)).toEqual({ ok: false, reason: 'sent', next: new Date(60_002) });
    expect(gate.acquire(60_002)).toEqual({ ok: true });
  });

  it('remembers a request sent before a restart', () => {
    expect(new RefreshGate(60_000, 1000).acquire(2000).ok).toBe(false);
  });
});

describe('the alert receiver and GitHub', () => {
  const REPO = 'acme/penguins';
  let github: GitHubServer;
  let receiver: AlertReceiver;
  let url: string;
  const target = { apiUrl: '', repo: REPO, token: 'read-only-token' };
  let tmp: string;

  beforeAll(async () => {
    github = await startGitHubServer({
      repo: REPO,
      tokens: {
        'read-only-token': {
          login: 'x',
          actor: 'x',
          pullRequestsWrite: false,
          contentsWrite: false,
        },
        'dispatch-token': { login: 'y', actor: 'y', pullRequestsWrite: false },
      },
    });
    target.apiUrl = github.url;
    receiver = await createAlertReceiver({
      token: 'am-token',
      windowSeconds: 3600,
      send: (request) => sendRepositoryDispatch(target, request),
    });
    url = `${await receiver.listen('127.0.0.1', 0)}/v1/alerts`;
    tmp = await mkdtemp(join(tmpdir(), 'mlops-refresh-'));
  });

  afterAll(async () => {
    await receiver?.close();
    await github?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const post = (body: unknown, token = 'am-token') =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const dispatches = () =>
    github.requests.filter((r) => r.operationId === 'repos/create-dispatch-event');

  it('refuses a caller without the bearer token, and a body that is not an Alertmanager webhook', async () => {
    expect((await post(webhook([drift('Sex', 0.5)]), 'wrong')).status).toBe(401);
    const bad = await post({ version: '4', status: 'firing', alerts: [{ labels: {} }] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/alerts\.0\.status/);
    expect(dispatches()).toEqual([]);
  });

  it('answers 502 when GitHub refuses (Alertmanager retries), then sends once GitHub accepts', async () => {
    const refused = await post(webhook([drift('Sex', 0.5)]));
    expect(refused.status).toBe(502);
    const { message } = (await refused.json()) as { message: string };
    expect(message).toMatch(/GitHub answered 403 .*Contents: write/);
    expect(message).not.toContain('read-only-token');

    target.token = 'dispatch-token';
    const sent = await post(webhook([drift('Sex', 0.5)]));
    expect(await sent.json()).toMatchObject({ status: 'requested', reason: 'drift' });
    const again = await post(webhook([drift('Sex', 0.6), drift('Island', 0.3)]));
    expect(await again.json()).toMatchObject({ status: 'suppressed' });
    // The one GitHub refused, and the one it accepted.
    expect(dispatches()).toHaveLength(2);
    expect(github.violations).toEqual([]);
  });

  it('mlops monitor dispatch refuses a GitHub token file other users can read', async () => {
    const file = join(tmp, 'github-token');
    await writeFile(file, 'dispatch-token\n');
    await chmod(file, 0o644);
    await writeFile(join(tmp, 'am-token'), 'am-token\n');
    const { code, output } = await runMlops(
      tmp,
      'monitor',
      'dispatch',
      '--repo',
      REPO,
      '--github-token-file',
      file,
      '--token-file',
      join(tmp, 'am-token'),
    );
    expect(code).toBe(2);
    expect(output).toContain(`--github-token-file ${file}: other users can read it (mode 0644)`);
    expect(output).toContain(`hint: chmod 600 ${file}`);
  });
});

it('mlops monitor dispatch refuses to send the GitHub token over plain HTTP to another machine', async () => {
  const { code, output } = await runMlops(
    '.',
    'monitor',
    'dispatch',
    '--repo',
    'acme/penguins',
    '--api-url',
    'http://github.example.org/api/v3',
    '--github-token-file',
    'unused',
    '--token-file',
    'unused',
  );
  expect(code).toBe(2);
  expect(output).toContain(
    '--api-url http://github.example.org/api/v3: expected an https:// URL (the GitHub token is sent to it)',
  );
});
