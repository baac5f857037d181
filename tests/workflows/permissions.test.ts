/**
 * Each job's GITHUB_TOKEN is granted what its steps need and nothing more. The
 * need is derived from the steps of the YAML GitHub reads, through the table in
 * workflows/steps.ts; a grant above or below it fails here. A job that calls a
 * reusable workflow grants exactly the union of what the called jobs are
 * granted: GitHub gives them no more than the caller has.
 */
import { describe, expect, it } from 'vitest';
import {
  action,
  checkout,
  download,
  job,
  neededPermissions,
  pinned,
  setupNode,
  stepNeeds,
  upload,
  ZIZMOR_STEP,
} from '../../workflows/steps.js';
import type { Workflow } from '../../workflows/types.js';
import { generated, permissionProblems } from './helpers.js';

describe('token permissions', () => {
  it('are what GitHub documents for each step', () => {
    // Cloning a private repository needs contents read ("Repository not found" without it).
    expect(stepNeeds(checkout)).toEqual({ contents: 'read' });
    expect(stepNeeds(setupNode)).toEqual({});
    expect(stepNeeds(upload('a', ['x']))).toEqual({});
    expect(stepNeeds({ uses: 'actions/cache@v5', with: { path: 'x', key: 'k' } })).toEqual({});
    // This run's artifacts come with the runner's token; another run's through the API.
    expect(stepNeeds(download('a'))).toEqual({});
    expect(stepNeeds(download('a', '.', { with: { 'run-id': '1', 'github-token': 't' } }))).toEqual(
      {
        actions: 'read',
      },
    );
    // Pull request comments are issue comments, granted by pull-requests write; the run's jobs need actions read.
    expect(stepNeeds(action('report'))).toEqual({ actions: 'read', 'pull-requests': 'write' });
    for (const name of ['train', 'lint', 'test'] as const)
      expect(stepNeeds(action(name)), name).toEqual({});
    // The production record is a git ref of the repository.
    for (const name of ['validate-threshold', 'benchmark'] as const)
      expect(stepNeeds(action(name)), name).toEqual({ contents: 'read' });
    // It reads the merged pull request's review and pushes the record once live.
    expect(stepNeeds(action('deploy-vm'))).toEqual({
      contents: 'write',
      'pull-requests': 'write',
    });
    expect(stepNeeds({ run: 'npm ci' })).toEqual({});
    // Dependency review reads the dependency graph; CodeQL uploads its results as security events.
    expect(stepNeeds({ uses: pinned('actions/dependency-review-action') })).toEqual({
      contents: 'read',
    });
    expect(stepNeeds({ uses: pinned('github/codeql-action/init') })).toEqual({ contents: 'read' });
    expect(stepNeeds({ uses: pinned('github/codeql-action/analyze') })).toEqual({
      contents: 'read',
      'security-events': 'write',
    });
    // zizmor's online audits read public commits, tags and advisories: no scope.
    expect(stepNeeds({ name: ZIZMOR_STEP, env: { GH_TOKEN: '${{ github.token }}' } })).toEqual({});
  });

  it('every job of every workflow is granted exactly what its steps need', async () => {
    const all = await generated();
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(9);
    for (const [file, wf] of Object.entries(all))
      expect(permissionProblems(file, wf, all)).toEqual([]);
  });

  it('the comment job can clone a private repository, read the run and write the comment', async () => {
    const all = await generated();
    const comment = {
      actions: 'read',
      contents: 'read',
      'pull-requests': 'write',
    };
    expect(all['mlops-comment.yml']!.jobs['comment']!.permissions).toEqual(comment);
    // The caller grants it all, and nothing more.
    expect(all['pr-comment.yml']!.jobs['comment']!.permissions).toEqual(comment);
  });

  it('each caller grants exactly what the jobs it calls are granted', async () => {
    const all = await generated();
    expect(all['pr.yml']!.jobs['pr']!.permissions).toEqual({ contents: 'read' });
    // open-pr pushes a branch and opens a pull request (its own job; the retrain job reads only).
    expect(all['retrain.yml']!.jobs['retrain']!.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
    });
    expect(all['mlops-retrain.yml']!.jobs['retrain']!.permissions).toEqual({ contents: 'read' });
    expect(all['data-refresh.yml']!.jobs['refresh']!.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
    });
    // The production record is pushed and the merged pull request answered by the deploy.
    expect(all['deploy.yml']!.jobs['deploy']!.permissions).toEqual({
      contents: 'write',
      'pull-requests': 'write',
    });
    expect(all['release.yml']!.jobs['release']!.permissions).toEqual({ contents: 'write' });
  });

  it('a caller granting less than the jobs it calls fails the check', async () => {
    const all = await generated();
    const wf = all['deploy.yml']!;
    wf.jobs['deploy']!.permissions = { contents: 'read', 'pull-requests': 'write' };
    expect(permissionProblems('deploy.yml', wf, all)).toEqual([
      'deploy.yml deploy: ./.github/workflows/mlops-deploy.yml needs contents: write, the job grants read',
    ]);
  });

  it('a caller granting more than the jobs it calls fails the check', async () => {
    const all = await generated();
    const wf = all['pr.yml']!;
    wf.jobs['pr']!.permissions = { contents: 'read', 'pull-requests': 'write' };
    expect(permissionProblems('pr.yml', wf, all)).toEqual([
      'pr.yml pr: grants pull-requests: write, no step needs more than none',
    ]);
  });

  it('a workflow granting less than its steps need fails the check', async () => {
    const wf = (await generated())['mlops-comment.yml']!;
    delete wf.jobs['comment']!.permissions!.contents;
    expect(permissionProblems('mlops-comment.yml', wf)).toEqual([
      `mlops-comment.yml comment: ${checkout.uses} needs contents: read, the job grants none`,
    ]);
    wf.jobs['comment']!.permissions!['pull-requests'] = 'read';
    expect(permissionProblems('mlops-comment.yml', wf)).toContain(
      'mlops-comment.yml comment: ./.mlops/pipeline/actions/report needs pull-requests: write, the job grants read',
    );
  });

  it('a workflow granting more than its steps need fails the check', async () => {
    const wf = (await generated())['mlops-pr.yml']!;
    wf.jobs['train']!.permissions = { ...wf.jobs['train']!.permissions, issues: 'write' };
    expect(permissionProblems('mlops-pr.yml', wf)).toEqual([
      'mlops-pr.yml train: grants issues: write, no step needs more than none',
    ]);
  });

  it("a job left to the repository's default token fails the check", async () => {
    const wf = (await generated())['mlops-retrain.yml']!;
    delete wf.jobs['retrain']!.permissions;
    delete (wf as Partial<Workflow>).permissions;
    expect(permissionProblems('mlops-retrain.yml', wf)).toEqual([
      "mlops-retrain.yml retrain: grants the repository's default",
    ]);
    (wf as { permissions: unknown }).permissions = 'write-all';
    expect(permissionProblems('mlops-retrain.yml', wf)).toEqual([
      'mlops-retrain.yml retrain: grants write-all',
    ]);
  });

  it("a job's grant follows its steps: adding the report step adds what it needs", () => {
    const before = job({ 'runs-on': 'ubuntu-latest', steps: [checkout] });
    expect(before.permissions).toEqual({ contents: 'read' });
    const after = job({ 'runs-on': 'ubuntu-latest', steps: [checkout, action('report')] });
    expect(after.permissions).toEqual({
      actions: 'read',
      contents: 'read',
      'pull-requests': 'write',
    });
  });

  it('a step whose needs nobody wrote down cannot be placed in a job', () => {
    expect(() => neededPermissions([{ uses: 'someone/comment-action@v1' }])).toThrow(
      /someone\/comment-action@v1: its token permissions are unknown/,
    );
    expect(() =>
      neededPermissions([{ run: 'gh pr comment', env: { GH_TOKEN: '${{ github.token }}' } }]),
    ).toThrow(/is handed the token/);
  });

  it('a script handed the token says what it needs by its name', () => {
    const tag = { name: 'Tag the release and move the major tag', run: 'gh release create' };
    expect(stepNeeds({ ...tag, env: { GH_TOKEN: '${{ github.token }}' } })).toEqual({
      contents: 'write',
    });
  });
});
