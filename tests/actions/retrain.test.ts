/**
 * retrain.yml run by hand: the dispatch inputs become --set overrides of the
 * train and gate steps, the model is registered as an artifact named by its
 * version, and the reason and the report land in the job summary. With
 * open-pr, the overrides are written into mlops.yaml and proposed as the pull
 * request "Retrain: <reason>", pushed to a bare origin and opened through the
 * GitHub API stand-in.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrain } from '../../workflows/retrain.js';
import type { Step } from '../../workflows/types.js';
import { baseRepository, workflowDispatchEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer } from './helpers/github-server.js';
import { REPO_ROOT } from './helpers/run-action.js';
import { action } from '../../workflows/steps.js';
import { runWorkflow } from './helpers/workflow-runner.js';

const exec = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], {
    cwd,
  }).then(({ stdout }) => stdout.trim());

/** The workflow's shell steps, run by bash with the pipeline under test (its deps are installed). */
async function shell(step: Step, _job: string, env: Record<string, string>, workspace: string) {
  if (step.run === 'npm ci') return 'success' as const;
  const command = step.run!.replaceAll('.mlops/pipeline/', `${REPO_ROOT}/`);
  await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command], {
    cwd: workspace,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
  });
  return 'success' as const;
}

describe('retrain.yml', () => {
  let repo: string;
  let artifactDir: string;

  beforeAll(async () => {
    repo = await makeRepository();
    artifactDir = await mkdtemp(join(tmpdir(), 'mlops-artifacts-'));
  });
  afterAll(async () => {
    for (const dir of [repo, artifactDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('retrains with the epochs and learning rate a maintainer typed', async () => {
    const payload = workflowDispatchEvent({
      epochs: '12',
      'learning-rate': '0.02',
      reason: 'new penguins measured',
    });
    const reasons: string[] = [];
    const artifacts = new Map<string, Map<string, string>>();
    const run = await runWorkflow(retrain, {
      source: repo,
      eventName: 'workflow_dispatch',
      payload,
      token: 'ghs_unused',
      runId: '700',
      artifacts,
      artifactDir,
      env: { GITHUB_REPOSITORY: baseRepository(payload), GITHUB_REF: String(payload['ref']) },
      onRun: (_step, _job, env) => {
        // The one shell step writes the reason to the summary; the runner hands it REASON.
        reasons.push(env['REASON']!);
        return 'success';
      },
    });
    const job = run['retrain / retrain']!;
    expect(job.result).toBe('success');
    expect(reasons).toEqual(['new penguins measured']);
    const train = job.steps.find((s) => s.step.uses === action('train').uses)!.action!;
    expect(train.outputs['trained']).toBe('true');
    const version = train.outputs['model-version']!;
    const registered = artifacts.get('700')!.get(`model-${version}`)!;
    const metadata = JSON.parse(
      await readFile(join(registered, 'artifacts', 'model', 'metadata.json'), 'utf8'),
    );
    expect(metadata.params).toMatchObject({ epochs: 12, learning_rate: 0.02 });
    expect(metadata.training.history.length).toBeLessThanOrEqual(12);
    const gates = job.steps.find((s) => s.step.uses === action('validate-threshold').uses)!.action!;
    expect(gates.summary).toContain(`\`${version}\``);
    expect(gates.summary).toContain('### Gates');
  });

  it('with open-pr, proposes the overrides in mlops.yaml as one pull request, once the retrain passed', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'mlops-retrain-pr-'));
    const github = await startGitHubServer({
      repo: 'octo-org/octo-repo',
      tokens: {
        ghs_retrain: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true },
      },
    });
    try {
      const origin = join(scratch, 'origin.git');
      await git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
      await writeFile(join(repo, '.gitignore'), '/node_modules\n/artifacts/\n/reports/\n');
      await git(repo, 'init', '-q', '-b', 'main');
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '-q', '-m', 'penguins');
      await git(repo, 'push', '-q', origin, 'main');
      await git(repo, 'remote', 'add', 'origin', origin);
      const payload = workflowDispatchEvent({
        epochs: '12',
        'learning-rate': '',
        reason: 'fewer epochs generalise better',
        'open-pr': 'true',
      });
      const run = await runWorkflow(retrain, {
        source: repo,
        eventName: 'workflow_dispatch',
        payload,
        token: 'ghs_retrain',
        runId: '701',
        artifacts: new Map(),
        artifactDir,
        env: {
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: baseRepository(payload),
          GITHUB_REF: String(payload['ref']),
        },
        onRun: shell,
      });
      const job = run['retrain / pull-request']!;
      expect(job.result).toBe('success');
      const propose = job.steps.find((s) => s.step.uses === action('propose').uses)!.action!;
      expect(propose.outputs['result']).toBe('created');
      const [pull] = github.pulls();
      expect(pull).toMatchObject({
        title: 'Retrain: fewer epochs generalise better',
        headRef: 'mlops/retrain-701',
        base: 'main',
      });
      expect(pull!.body).toContain('`model.epochs=12`');
      expect(pull!.body).not.toContain('learning_rate');
      // The one file changed, its other settings and comments as they were.
      expect(await git(origin, 'diff', '--name-only', 'main...mlops/retrain-701')).toBe(
        'mlops.yaml',
      );
      const proposed = await git(origin, 'show', 'mlops/retrain-701:mlops.yaml');
      const before = await readFile(join(REPO_ROOT, 'mlops.yaml'), 'utf8');
      expect(parse(proposed).model).toEqual({ ...parse(before).model, epochs: 12 });
      expect(proposed.split('\n').filter((l) => l.trim().startsWith('#'))).toEqual(
        before.split('\n').filter((l) => l.trim().startsWith('#')),
      );
      expect(github.violations).toEqual([]);
    } finally {
      await github.close();
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
