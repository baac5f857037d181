/**
 * `mlops production` as a user runs it: record releases and push them, see
 * them from a fresh clone, and a registry rollback of production appended as a
 * rollback record, with the metrics the registry kept and the benchmark of the
 * model's earlier time in production.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { REPO, runMlops } from '../helpers/project.js';
import { git, makeRepos, type Repos } from './fixture.js';

describe('mlops production', () => {
  let repos: Repos;
  beforeEach(async () => {
    repos = await makeRepos();
  });
  afterEach(() => repos.remove());

  async function mlops(cwd: string, ...args: string[]) {
    const run = await runMlops(args, { cwd });
    expect(run.code, run.stderr).toBe(0);
    return run;
  }

  it('says there is no production model yet before the first release', async () => {
    const show = await mlops(repos.work, 'production', 'show');
    expect(show.stdout).toBe('no production model yet (refs/mlops/production does not exist)\n');
    const log = await mlops(repos.work, 'production', 'log');
    expect(log.stdout).toContain('no production model yet');
  });

  it('records releases, and a registry rollback of production as a rollback record', async () => {
    const registry = join(repos.root, 'registry');
    const a = await repos.model('aaaaaaaaaaaa');
    const b = await repos.model('bbbbbbbbbbbb');
    for (const model of [a, b]) {
      await mlops(
        repos.work,
        'registry',
        'register',
        '--registry',
        registry,
        '--model',
        model.dir,
        '--metrics',
        model.metrics,
      );
      await mlops(
        repos.work,
        'registry',
        'promote',
        '--registry',
        registry,
        model.dir.slice(-12),
        'production',
      );
    }
    const release = await mlops(
      repos.work,
      'production',
      'record',
      '--event',
      'release',
      '--model',
      a.dir,
      '--metrics',
      a.metrics,
      '--bench',
      a.bench,
      '--run-url',
      'https://github.com/o/r/actions/runs/41',
      '--push',
    );
    expect(release.stderr).toMatch(
      /release aaaaaaaaaaaa recorded as [0-9a-f]{12} on refs\/mlops\/production and pushed to origin/,
    );
    await mlops(
      repos.work,
      'production',
      'record',
      '--event',
      'release',
      '--model',
      b.dir,
      '--metrics',
      b.metrics,
      '--push',
    );

    const rollback = await mlops(
      repos.work,
      'registry',
      'rollback',
      '--registry',
      registry,
      'production',
      '--record',
      '--push',
    );
    expect(rollback.stdout).toContain('production: bbbbbbbbbbbb -> aaaaaaaaaaaa (rolled back)');
    expect(rollback.stdout).toMatch(
      /production record: rollback to aaaaaaaaaaaa as [0-9a-f]{12} on refs\/mlops\/production, pushed to origin/,
    );

    // A fresh clone sees all three, newest first.
    const clone = await repos.clone('reader');
    const log = (await mlops(clone, 'production', 'log')).stdout.trim().split('\n');
    expect(log).toHaveLength(3);
    expect(log[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}rollback {2}aaaaaaaaaaaa {2}weights [0-9a-f]{12}$/,
    );
    expect(log[1]).toMatch(/ {2}release {3}bbbbbbbbbbbb {2}weights [0-9a-f]{12}$/);
    expect(log[2]).toMatch(
      / {2}release {3}aaaaaaaaaaaa {2}weights [0-9a-f]{12} {2}https:\/\/github.com\/o\/r\/actions\/runs\/41$/,
    );

    const show = (await mlops(clone, 'production', 'show')).stdout;
    expect(show).toContain('production aaaaaaaaaaaa (penguins-species)');
    expect(show).toMatch(/event +rollback, live since \d{4}-/);
    expect(show).toMatch(/previous +bbbbbbbbbbbb/);
    expect(show).toMatch(/metrics +accuracy 0.9/);
    // The rolled-back model's benchmark comes from its earlier release record.
    expect(show).toMatch(/bench +p99_ms 2/);
    const json = JSON.parse(
      (await mlops(clone, 'production', 'show', '--json', '--no-fetch')).stdout,
    );
    // …and so does the commit deployed then (the release defaulted it to HEAD).
    expect(json.record.commit).toBe((await git(repos.work, 'rev-parse', 'HEAD')).trim());
  });

  it('gate --baseline production checks the change gates against the record', async () => {
    await copyFile(join(REPO, 'mlops.yaml'), join(repos.work, 'mlops.yaml'));
    await copyFile(join(REPO, 'data.dvc'), join(repos.work, 'data.dvc'));
    const a = await repos.model('aaaaaaaaaaaa');
    await mkdir(join(repos.work, 'reports'));
    await copyFile(a.metrics, join(repos.work, 'reports/metrics.json'));
    const gate = ['gate', '--baseline', 'production', '--set', 'gates.accuracy.min=0.5'];

    const before = await mlops(repos.work, ...gate);
    expect(before.stderr).toContain('accuracy drops at most 0.02 vs baseline (skipped');

    await mlops(
      repos.work,
      'production',
      'record',
      '--event',
      'release',
      '--model',
      a.dir,
      '--metrics',
      a.metrics,
      '--push',
    );
    const after = await mlops(repos.work, ...gate);
    expect(after.stderr).toContain(
      '✅ accuracy drops at most 0.02 vs baseline (value 0.9000, bound 0.8800)',
    );
    const metrics = JSON.parse(await readFile(join(repos.work, 'reports/metrics.json'), 'utf8'));
    expect(metrics.baseline).toEqual({
      model_version: 'aaaaaaaaaaaa',
      path: 'refs/mlops/production:metrics.json',
    });
  });

  it('refuses --record for a rollback of staging, before moving the alias', async () => {
    const run = await runMlops(
      ['registry', 'rollback', 'staging', '--record', '--registry', join(repos.root, 'r')],
      {
        cwd: repos.work,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--record: only a rollback of production is a production record');
  });
});
