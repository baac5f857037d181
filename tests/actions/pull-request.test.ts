/**
 * A pull request as GitHub runs it: pr.yml's jobs run in order on the penguins
 * data with a read-only token, then pr-comment.yml posts the report from the
 * artifact. The comment appears once, is updated by the next push, names the
 * gate a later push breaks, and turns ❌ naming the job and step when a push
 * fails a benchmark gate or breaks training, report or not.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { action } from '../../workflows/steps.js';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { baseRepository, pullRequestEvent, type Head } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { pushToPullRequest, runUrl as pullRequestRunUrl } from './helpers/pull-request.js';
import type { JobResult } from './helpers/workflow-runner.js';

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
    const order: string[] = [];
    const { prRun, commentRun } = await pushToPullRequest({
      github,
      source: repo,
      head,
      action,
      runId: 9000 + ++runs,
      prToken: READ_TOKEN,
      commentToken: WRITE_TOKEN,
      artifacts,
      artifactDir,
      env: env(),
      // npm ci and the services are this machine's already (npm test installs them);
      // the services come as pr.yml's test-setup, which the test job runs from TEST_SETUP.
      onRun: (step, _job, env) =>
        step.run === 'npm ci' ||
        (step.run === 'bash -c "$TEST_SETUP"' && env['TEST_SETUP'] === 'bash scripts/services.sh')
          ? 'success'
          : 'failure',
      jobs,
      afterJob: (name) => void order.push(name),
    });
    return { prRun, commentRun, order };
  }

  const runUrl = (runId: string) => pullRequestRunUrl(baseRepo, runId);
  const step = (job: JobResult, uses: string | undefined) =>
    job.steps.find((s) => s.step.uses === uses)!;
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
  let yaml = '';
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
      // The called workflow's jobs, listed by GitHub as `<caller job> / <job>`.
      expect(first.order).toEqual(
        ['lint', 'test', 'train', 'validate-threshold', 'benchmark'].map((j) => `pr / ${j}`),
      );
      for (const [name, job] of Object.entries(first.prRun))
        expect(job.result, name).toBe('success');
      expect(
        step(first.prRun['pr / train']!, action('train').uses).action!.outputs['trained'],
      ).toBe('true');
      expect(step(first.prRun['pr / lint']!, action('lint').uses).action!.outputs['errors']).toBe(
        '0',
      );
      expect(step(first.prRun['pr / test']!, action('test').uses).action!.outputs['passed']).toBe(
        '1',
      );

      const posted = first.commentRun['comment / comment']!;
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
      const report = step(first.commentRun['comment / comment']!, action('report').uses).action!;
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
      const train = step(second.prRun['pr / train']!, action('train').uses).action!;
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
      yaml = await readFile(join(repo, 'mlops.yaml'), 'utf8');
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
        third.prRun['pr / validate-threshold']!,
        action('validate-threshold').uses,
      ).action!;
      expect(gates.code).toBe(1);
      expect(third.prRun['pr / validate-threshold']!.result).toBe('failure');
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
      expect(
        third.prRun['pr / benchmark']!.result,
        JSON.stringify(
          third.prRun['pr / benchmark']!.steps.map((s) => [
            s.step.uses,
            s.outcome,
            s.action?.stdout,
            s.action?.stderr,
          ]),
        ),
      ).toBe('success');
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

  it(
    'a push that fails a benchmark gate turns the comment ❌ at the benchmark step, above its report',
    { timeout: PUSH_TIMEOUT },
    async () => {
      await writeFile(
        join(repo, 'mlops.yaml'),
        yaml.replace('model_size_kb: { max: 256', 'model_size_kb: { max: 0.001'),
      );
      const fourth = await push(head('d'), 'synchronize', [
        'train',
        'validate-threshold',
        'benchmark',
      ]);
      expect(fourth.prRun['pr / validate-threshold']!.result).toBe('success');
      expect(fourth.prRun['pr / benchmark']!.result).toBe('failure');
      expect(fourth.commentRun['comment / comment']!.result).toBe('success');
      expect(botComments(2)).toHaveLength(1);
      const comment = botComments(2)[0]!;
      expect(comment.id).toBe(commentId);
      expect(comment.body).toContain(
        '## ❌ `pr` failed: `pr / benchmark` › `Run ./.mlops/pipeline/actions/benchmark`',
      );
      // What the benchmark job uploaded after its gate failed is still shown, gates and all.
      expect(comment.body).toMatch(/all \d+ gates passed/);
      expect(comment.body).toContain('### Benchmark');
      expect(comment.body).toContain('model_size_kb <= 0.001');
      expect(comment.body).toContain(`[pr run #36](${runUrl(String(9000 + 4))})`);
      expect(github.violations).toEqual([]);
    },
  );

  it(
    'a push that breaks training turns the comment ❌ at the train step, and nothing of the last report stays',
    { timeout: PUSH_TIMEOUT },
    async () => {
      // Every bird now weighs more than the data contract allows.
      await writeFile(join(repo, 'mlops.yaml'), yaml.replace('max: 7000', 'max: 2500'));
      const fifth = await push(head('e'), 'synchronize', [
        'train',
        'validate-threshold',
        'benchmark',
      ]);
      expect(fifth.prRun['pr / train']!.result).toBe('failure');
      expect(fifth.prRun['pr / validate-threshold']!.result).toBe('skipped');
      expect(fifth.prRun['pr / benchmark']!.result).toBe('skipped');
      const posted = fifth.commentRun['comment / comment']!;
      // No report artifact: the download fails without failing the job.
      expect(
        posted.steps.find((s) => s.step.uses?.startsWith('actions/download-artifact@'))!.outcome,
      ).toBe('failure');
      expect(posted.result).toBe('success');
      expect(botComments(2)).toHaveLength(1);
      const body = botComments(2)[0]!.body;
      expect(botComments(2)[0]!.id).toBe(commentId);
      expect(body).toContain(
        '## ❌ `pr` failed: `pr / train` › `Run ./.mlops/pipeline/actions/train`',
      );
      expect(body).toContain('It uploaded no report');
      for (const stale of ['### Metrics', '### Gates', '### Benchmark', 'gates passed'])
        expect(body).not.toContain(stale);
      expect(github.violations).toEqual([]);
    },
  );
});
