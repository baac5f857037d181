/**
 * The production baseline is the production record (refs/mlops/production):
 * before any release the report says there is nothing to compare with; once a
 * release is recorded on origin, a pull request's checkout (a clone with no
 * credentials) compares its metrics and its benchmark with production's and
 * names the production version.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProduction } from '../../pipeline/production/git-ref.js';
import { makeRepository } from './helpers/fixture.js';
import { runAction } from './helpers/run-action.js';

const git = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd });

describe('the production baseline', () => {
  let root: string;
  let origin: string;
  const dirs: string[] = [];
  // The pull request trains another model than production's (fewer epochs).
  const PR_SET = 'model.epochs=40\nbench.iterations=30\nbench.warmup=3';
  const MAIN_SET = 'bench.iterations=30\nbench.warmup=3';

  /** An adopter's repository checked out from origin, as actions/checkout leaves it. */
  async function checkout(): Promise<string> {
    const workspace = await makeRepository();
    dirs.push(workspace);
    await git(workspace, 'init', '--quiet', '--initial-branch=main');
    await git(workspace, 'remote', 'add', 'origin', origin);
    return workspace;
  }

  async function step(name: string, workspace: string, set: string) {
    const run = await runAction(name, {
      workspace,
      inputs: { set, cache: 'false', 'github-token': 'ghs_readonlytoken' },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    return run;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlops-production-'));
    origin = join(root, 'origin.git');
    await git(root, 'init', '--quiet', '--bare', origin);
  });
  afterAll(async () => {
    for (const dir of [root, ...dirs]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says there is no production yet, then compares with the recorded release', async () => {
    // The first pull request: nothing is live.
    const main = await checkout();
    await step('train', main, MAIN_SET);
    const first = await step('validate-threshold', main, MAIN_SET);
    expect(first.outputs['baseline-version']).toBe('');
    expect(first.summary).toContain(
      'No production model yet: nothing to compare with; gates on changes are skipped.',
    );
    expect(first.stdout).toMatch(/skipped {2}accuracy drops at most 0.02 vs baseline/);
    await step('benchmark', main, MAIN_SET);

    // Its merge is deployed, and the deploy records the release on origin.
    const { record } = await recordProduction(main, {
      event: 'release',
      modelDir: join(main, 'artifacts/model'),
      metricsPath: join(main, 'reports/metrics.json'),
      benchPath: join(main, 'reports/bench.json'),
      commit: null,
      run: { id: '100', url: 'https://github.com/o/r/actions/runs/100' },
      remote: 'origin',
      at: new Date('2026-03-04T05:06:07Z'),
    });

    // The next pull request's checkout reads it from origin.
    const pr = await checkout();
    const train = await step('train', pr, PR_SET);
    expect(train.outputs['model-version']).not.toBe(record.model_version);
    const gates = await step('validate-threshold', pr, PR_SET);
    expect(gates.outputs['baseline-version']).toBe(record.model_version);
    expect(gates.summary).toContain(
      `Compared with production \`${record.model_version}\` (weights \`${record.weights_sha256.slice(0, 12)}\`), live since 2026-03-04 05:06 UTC (release).`,
    );
    expect(gates.stdout).toMatch(/pass {2}accuracy drops at most 0.02 vs baseline/);
    // A delta against production's accuracy, not a dash.
    expect(gates.summary).toMatch(/\| accuracy \| \d\.\d{4} \| \d\.\d{4} \| [+−]\d\.\d{4} /);
    expect(gates.masks).toContain('ghs_readonlytoken');
    const metrics = JSON.parse(await readFile(join(pr, 'reports/metrics.json'), 'utf8'));
    expect(metrics.baseline).toEqual({
      model_version: record.model_version,
      path: 'refs/mlops/production:metrics.json',
    });

    // The benchmark compares with production's bench.json, so its change gates run.
    const bench = await step('benchmark', pr, PR_SET);
    expect(bench.summary).toMatch(/\| Model size on disk \| [^|]+ \| [+−]\d+\.\d% /);
    const benchJson = JSON.parse(await readFile(join(pr, 'reports/bench.json'), 'utf8'));
    const sizeGate = benchJson.gates.find(
      (g: { name: string }) => g.name.includes('model_size_kb') && g.name.includes('rises'),
    );
    expect(sizeGate?.skipped).toBeFalsy();
    expect(benchJson.baseline.path).toBe('refs/mlops/production:bench.json');
  });

  it('an explicit baseline file wins over the production record', async () => {
    const pr = dirs.at(-1)!;
    const explicit = join(root, 'baseline.json');
    await promisify(execFile)('cp', [join(pr, 'reports/metrics.json'), explicit]);
    const run = await runAction('validate-threshold', {
      workspace: pr,
      inputs: { set: PR_SET, baseline: explicit },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(JSON.parse(await readFile(join(pr, 'reports/metrics.json'), 'utf8')).baseline.path).toBe(
      explicit,
    );
    expect(run.summary).not.toContain('Compared with production');
  });
});
