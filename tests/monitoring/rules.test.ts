/**
 * The alert rules in deploy/monitoring are checked by Prometheus's own tool:
 * `promtool check rules` parses them, `promtool test rules` runs their unit
 * tests (rules.test.yml), where every alert fires in one test and stays quiet
 * in another. promtool comes with Prometheus (scripts/services/prometheus.sh).
 * The Alertmanager routing beside them is checked by `amtool check-config`
 * (scripts/services/alertmanager.sh).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { REFRESH_ALERTS } from '../../pipeline/monitor/refresh-request.js';
import { alertmanagerBinaries } from '../support/peers.js';

const dir = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`,
      { cause: error },
    );
  }
}

it('amtool check-config accepts alertmanager.yml, which routes the refresh alerts to the receiver', async () => {
  const { stdout } = await run(
    alertmanagerBinaries().amtool,
    ['check-config', 'alertmanager.yml'],
    { cwd: dir },
  );
  expect(stdout).toContain('SUCCESS');
  const config = parse(await readFile(`${dir}alertmanager.yml`, 'utf8')) as {
    route: { routes: { receiver: string; matchers?: string[] }[] };
  };
  const refresh = config.route.routes.find((r) => r.receiver === 'data-refresh')!;
  // The alerts that pipeline/monitor turns into a refresh request, and no others.
  expect(refresh.matchers).toEqual([
    `alertname =~ "${Object.keys(REFRESH_ALERTS).sort().join('|')}"`,
  ]);
});

interface RuleFile {
  groups: { rules: { alert?: string }[] }[];
}
interface TestFile {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

it('promtool check rules accepts rules.yml', async () => {
  expect(await promtool('check', 'rules', 'rules.yml')).toMatch(/SUCCESS: \d+ rules found/);
});

it('promtool test rules passes the unit tests of every alert', async () => {
  expect(await promtool('test', 'rules', 'rules.test.yml')).toContain('SUCCESS');
});

it('every alert has a unit test where it fires and one where it stays quiet', async () => {
  const rules = parse(await readFile(`${dir}rules.yml`, 'utf8')) as RuleFile;
  const tests = parse(await readFile(`${dir}rules.test.yml`, 'utf8')) as TestFile;
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert!));
  expect(alerts).toEqual(
    expect.arrayContaining([
      'MlopsFeatureDrift',
      'MlopsLiveAccuracyBelowGate',
      'MlopsHighErrorRate',
      'MlopsHighPredictLatency',
      'MlopsNoModelLoaded',
      'MlopsScrapeDown',
    ]),
  );
  const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    expect(
      mine.some((c) => c.exp_alerts.length > 0),
      `${alert} fires in a test`,
    ).toBe(true);
    const quiet = mine.some((c) => c.exp_alerts.length === 0);
    expect(quiet, `${alert} stays quiet in a test`).toBe(true);
  }
});
