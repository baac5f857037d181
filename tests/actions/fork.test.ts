/**
 * A fork's pull request: its code runs in pr.yml with a token that cannot
 * comment, and the comment comes from pr-comment.yml, which checks out the base
 * repository, reads only the report artifact, and finds the pull request from
 * the run's head repository and sha (workflow_run lists no pull requests for forks).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { prComment } from '../../workflows/pr-comment.js';
import { pr } from '../../workflows/pr.js';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import {
  baseRepository,
  pullRequestEvent,
  workflowRunEvent,
  writeEvent,
  type Head,
} from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runAction } from './helpers/run-action.js';
import { runWorkflow } from './helpers/workflow-runner.js';

const BOT = 'github-actions[bot]';
const READ_TOKEN = 'ghs_fork_pr_read_only';
const WRITE_TOKEN = 'ghs_base_comment_writer';

describe('a pull request from a fork', () => {
  let github: GitHubServer;
  let cache: CacheServer;
  let forkCheckout: string;
  let baseCheckout: string;
  let artifactDir: string;
  let base: string;
  const artifacts = new Map<string, Map<string, string>>();

  beforeAll(async () => {
    // The fork trains with fewer epochs: its report must be the one that is posted.
    forkCheckout = await makeRepository();
    const { readFile, writeFile } = await import('node:fs/promises');
    const yaml = await readFile(join(forkCheckout, 'mlops.yaml'), 'utf8');
    await writeFile(join(forkCheckout, 'mlops.yaml'), yaml.replace('epochs: 60', 'epochs: 40'));
    baseCheckout = await makeRepository();
    artifactDir = await mkdtemp(join(tmpdir(), 'mlops-artifacts-'));
    base = baseRepository(
      pullRequestEvent('opened', { number: 1, sha: 'x', branch: 'x', repo: 'x/x' }),
    );
    github = await startGitHubServer({
      repo: base,
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
    for (const dir of [forkCheckout, baseCheckout, artifactDir])
      if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'gets its comment from pr-comment.yml and the report artifact alone',
    { timeout: 300_000 },
    async () => {
      const head: Head = {
        number: 7,
        sha: 'f'.repeat(40),
        branch: 'patch-1',
        repo: 'forker/Hello-World',
      };
      github.addPull({ number: 7, headRef: head.branch, headSha: head.sha, headRepo: head.repo });
      // Another fork with the same branch name: the head repository tells them apart.
      github.addPull({
        number: 8,
        headRef: 'patch-1',
        headSha: 'e'.repeat(40),
        headRepo: 'someone/Hello-World',
      });
      const env = { ...cache.env, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: base };

      const prRun = await runWorkflow(pr, {
        source: forkCheckout,
        eventName: 'pull_request',
        payload: pullRequestEvent('opened', head),
        token: READ_TOKEN,
        runId: '501',
        artifacts,
        artifactDir,
        env: { ...env, GITHUB_REF: 'refs/pull/7/merge' },
        jobs: ['train', 'validate-threshold', 'benchmark'],
      });
      expect(prRun['pr / benchmark']!.result).toBe('success');
      const forkVersion = prRun['pr / train']!.outputs['model-version']!;
      expect(forkVersion).toMatch(/^[0-9a-f]{12}$/);
      expect(github.comments(7)).toEqual([]);

      // The fork's own token is refused a comment even if its workflow tried.
      const dir = await mkdtemp(join(tmpdir(), 'mlops-event-'));
      try {
        const denied = await runAction('report', {
          workspace: forkCheckout,
          inputs: {
            report: join(artifactDir, '501', 'mlops-report', 'report.md'),
            'github-token': READ_TOKEN,
          },
          env: {
            ...env,
            GITHUB_EVENT_NAME: 'pull_request',
            GITHUB_EVENT_PATH: await writeEvent(dir, pullRequestEvent('opened', head)),
          },
        });
        expect(denied.code).not.toBe(0);
        expect(github.comments(7)).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }

      const commentRun = await runWorkflow(prComment, {
        source: baseCheckout,
        eventName: 'workflow_run',
        payload: workflowRunEvent('501', head, 'success'),
        token: WRITE_TOKEN,
        runId: '502',
        artifacts,
        artifactDir,
        env: { ...env, GITHUB_REF: 'refs/heads/main' },
      });
      expect(commentRun['comment / comment']!.result).toBe('success');
      // Nothing of the fork was checked out or run: only base code and the artifact's text.
      const steps = commentRun['comment / comment']!.steps.map((s) => s.step);
      expect(steps.every((s) => !s.run && !JSON.stringify(s.with ?? {}).includes('head_sha'))).toBe(
        true,
      );

      const comments = github.comments(7);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.user.login).toBe(BOT);
      expect(comments[0]!.body).toContain(REPORT_MARKER);
      expect(comments[0]!.body).toContain(`\`${forkVersion}\``);
      expect(github.comments(8)).toEqual([]);
      expect(github.requests.find((r) => r.operationId === 'pulls/list')?.path).toContain(
        'head=forker%3Apatch-1',
      );
      expect(github.violations).toEqual([]);
    },
  );
});
