/**
 * retrain.yml run by hand: the dispatch inputs become --set overrides of the
 * train and gate steps, the model is registered as an artifact named by its
 * version, and the reason and the report land in the job summary.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrain } from '../../workflows/retrain.js';
import { baseRepository, workflowDispatchEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { action } from '../../workflows/steps.js';
import { runWorkflow } from './helpers/workflow-runner.js';

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
});
