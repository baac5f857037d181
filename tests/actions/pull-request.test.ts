/**
 * A pull request as GitHub runs it: pr.yml's jobs run in order on the penguins
 * data with a read-only token, then pr-comment.yml posts the report from the
 * artifact. The comment appears once, is updated by the next push, and names
 * the gate a later push breaks.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { prComment } from '../../workflows/pr-comment.js';
import { pr } from '../../workflows/pr.js';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { baseRepository, pullRequestEvent, workflowRunEvent, type Head } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runWorkflow, type JobResult } from './helpers/workflow-runner.js';

const BOT = 'github-actions[bot]';
const READ_TOKEN = 'ghs_pr_workflow_read_only';
const WRITE_TOKEN = 'ghs_pr_comment_workflow';

describe('a pull request', () => {
  let github: GitHubServer;
  let cache: CacheServer;
  let repo: string;
  let artifactDir: string;
  let baseRepo: string;
  const artifacts = new Map<string, Map<string, string>>();
  let runs = 0;

  beforeAll(async () => {
    repo = await makeRepository();
    artifactDir = await mkdtemp(join(tmpdir(), 'mlops-artifacts-'));
    baseRepo = baseRepository(
      pullRequestEvent('opened', { number: 1, sha: 'x', branch: 'x', repo: 'x/x' }),
    );
    github = await startGitHubServer({
      repo: baseRepo,
      tokens: {
        [READ_TOKEN]: { login: null, actor: BOT, pullRequestsWrite: false },
        [WRITE_TOKEN]: { login: null, actor: BOT, pullRequestsWrite: true },
      },
    });
    cache = await startCacheServer();
  });

  afterAll(async () => {
    await github?.close();
    await cache?.close();
    if (repo) await rm(repo, { recursive: true, force: true });
    if (artifactDir) await rm(artifactDir, { recursive: true, force: true });
  });

  const env = () => ({
    ...cache.env,
    GITHUB_API_URL: github.url,
    GITHUB_REPOSITORY: baseRepo,
  });

  async function push(head: Head, action: 'opened' | 'synchronize', jobs?: string[]) {
    github.addPull({
      number: head.number,
      headRef: head.branch,
      headSha: head.sha,
      headRepo: head.repo,
    });
    const runId = String(9000 + ++runs);
    const order: string[] = [];
    const prRun = await runWorkflow(pr, {
      source: repo,
      eventName: 'pull_request',
      payload: pullRequestEvent(action, head),
      token: READ_TOKEN,
      runId,
      artifacts,
      artifactDir,
      env: { ...env(), GITHUB_REF: `refs/pull/${head.number}/merge` },
      // npm ci and the services are this machine's already (npm test installs them).
      onRun: (step) =>
        ['npm ci', 'bash scripts/services.sh'].includes(step.run ?? '') ? 'success' : 'failure',
      jobs,
      afterJob: (name) => void order.push(name),
    });
    const conclusion = Object.values(prRun).some((j) => j.result === 'failure')
      ? 'failure'
      : 'success';
    const commentRun = await runWorkflow(prComment, {
      source: repo,
      eventName: 'workflow_run',
      payload: workflowRunEvent(runId, head, conclusion),
      token: WRITE_TOKEN,
      runId: String(19000 + runs),
      artifacts,
      artifactDir,
      env: { ...env(), GITHUB_REF: 'refs/heads/main' },
    });
    return { prRun, commentRun, order };
  }

  const step = (job: JobResult, uses: string) => job.steps.find((s) => s.step.uses === uses)!;
  const botComments = (n: number) =>
    github.comments(n).filter((c) => c.user.login === BOT && c.body.includes(REPORT_MARKER));

  // The three pushes build on each other: one pull request, one comment.
  const head = (sha: string): Head => ({
    number: 2,
    sha: sha.repeat(40),
    branch: 'changes',
    repo: baseRepo,
  });
  let commentId = 0;
  // A whole pr.yml run lints, tests and trains: on a busy CI machine that takes a minute or two.
  const PUSH_TIMEOUT = 300_000;

  it(
    'opened: pr.yml runs in order and one report comment appears',
    { timeout: PUSH_TIMEOUT },
    async () => {
      // Other people's comments fill the first pages, one of them quoting the marker:
      // the sticky comment is found by listing every page and by its author.
      for (let i = 0; i < 105; i++)
        github.addComment(2, 'octocat', i === 3 ? `quoting ${REPORT_MARKER}` : `comment ${i}`);

      const first = await push(head('a'), 'opened');
      expect(first.order).toEqual(['lint', 'test', 'train', 'validate-threshold', 'benchmark']);
      for (const [name, job] of Object.entries(first.prRun))
        expect(job.result, name).toBe('success');
      expect(step(first.prRun['train']!, './actions/train').action!.outputs['trained']).toBe(
        'true',
      );
      expect(step(first.prRun['lint']!, './actions/lint').action!.outputs['errors']).toBe('0');
      expect(step(first.prRun['test']!, './actions/test').action!.outputs['passed']).toBe('1');

      const posted = first.commentRun['comment']!;
      expect(
        posted.result,
        JSON.stringify(
          posted.steps.map((s) => [s.step.uses, s.outcome, s.action?.stdout, s.action?.stderr]),
        ),
      ).toBe('success');
      const [comment] = botComments(2);
      expect(botComments(2)).toHaveLength(1);
      for (const section of [
        '### Metrics',
        '### Gates',
        '### Benchmark',
        '```mermaid',
        '### Learning curve',
      ])
        expect(comment!.body).toContain(section);
      expect(comment!.body).toMatch(/all \d+ gates passed/);
      // The benchmark sits with the other stages' sections, right after the gates.
      expect(comment!.body.indexOf('### Benchmark')).toBeLessThan(
        comment!.body.indexOf('### Learning curve'),
      );
      const report = step(first.commentRun['comment']!, './actions/report').action!;
      expect(report.outputs['comment-id']).toBe(String(comment!.id));
      expect(report.outputs['comment-url']).toBe(comment!.html_url);
      commentId = comment!.id;
    },
  );

  it(
    'synchronize: the model comes from the cache and the same comment is updated',
    { timeout: PUSH_TIMEOUT },
    async () => {
      // Same data and config as the first push, so the model comes from the cache.
      const second = await push(head('b'), 'synchronize', [
        'train',
        'validate-threshold',
        'benchmark',
      ]);
      const train = step(second.prRun['train']!, './actions/train').action!;
      expect(train.outputs['cache-hit']).toBe('true');
      expect(train.outputs['trained']).toBe('false');
      expect(botComments(2)).toHaveLength(1);
      expect(botComments(2)[0]!.id).toBe(commentId);
      expect(github.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(
        1,
      );
    },
  );

  it(
    'a push that breaks a gate fails validate-threshold and the comment names the gate',
    { timeout: PUSH_TIMEOUT },
    async () => {
      // This push raises the accuracy bound out of reach.
      const yaml = await readFile(join(repo, 'mlops.yaml'), 'utf8');
      await writeFile(
        join(repo, 'mlops.yaml'),
        yaml.replace('accuracy: { min: 0.95', 'accuracy: { min: 1.01'),
      );
      const third = await push(head('c'), 'synchronize', [
        'train',
        'validate-threshold',
        'benchmark',
      ]);
      const gates = step(
        third.prRun['validate-threshold']!,
        './actions/validate-threshold',
      ).action!;
      expect(gates.code).toBe(1);
      expect(third.prRun['validate-threshold']!.result).toBe('failure');
      const line = yaml.split('\n').findIndex((l) => l.includes('accuracy: { min:')) + 1;
      expect(gates.annotations).toContainEqual(
        expect.objectContaining({
          level: 'error',
          file: 'mlops.yaml',
          line,
          title: 'Quality gate failed: accuracy >= 1.01',
        }),
      );
      // The benchmark still runs and the report still reaches the pull request.
      expect(third.prRun['benchmark']!.result).toBe('success');
      expect(botComments(2)).toHaveLength(1);
      const body = botComments(2)[0]!.body;
      expect(body).toContain('gates failed: `accuracy >= 1.01`');
      expect(body).toContain('| accuracy >= 1.01 |');
      expect(body).toContain('❌ fail');

      // The person who quoted the marker still has their words.
      expect(
        github.comments(2).find((c) => c.user.login === 'octocat' && c.body.includes(REPORT_MARKER))
          ?.body,
      ).toBe(`quoting ${REPORT_MARKER}`);
      expect(github.violations).toEqual([]);
      // Only pr-comment.yml's token ever wrote.
      expect(github.requests.filter((r) => r.method !== 'GET').length).toBeGreaterThan(0);
    },
  );
});
