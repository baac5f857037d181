/**
 * The report action on its own: where its pull request number comes from, what
 * it does outside a pull request, a report too long for a comment, a missing
 * report; after a workflow_run, a comment that tells that run's outcome whatever
 * it was; and one comment per pull request with any token, a GitHub App's too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import {
  baseRepository,
  pullRequestEvent,
  pushEvent,
  workflowRunEvent,
  writeEvent,
} from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer, type RunJob } from './helpers/github-server.js';
import { runAction } from './helpers/run-action.js';

const TOKEN = 'ghs_report_writer';
/** A GitHub App's installation token: GET /user refuses it, its comments are by <app>[bot]. */
const APP_TOKEN = 'ghs_app_installation';
const NO_ACTIONS_TOKEN = 'ghs_comment_only';
const BOT = 'github-actions[bot]';
const APP = 'mlops-app[bot]';
const PASSED = `${REPORT_MARKER}\n## ✅ all gates passed\n`;
const LONG = `${REPORT_MARKER}\n## report\n${'| row | 1 |\n'.repeat(8000)}`;

describe('the report action', () => {
  let github: GitHubServer;
  let workspace: string;
  let events: string;
  let base: string;

  beforeAll(async () => {
    workspace = await makeRepository({
      'reports/report.md': `${REPORT_MARKER}\n## ✅ all gates passed\n`,
      'reports/long.md': LONG,
      'reports/benchmark-failed.md': `${REPORT_MARKER}\n## ✅ all gates passed\n\n### Benchmark\n\n| model_size_kb <= 0.001 | ❌ fail |\n`,
    });
    events = await mkdtemp(join(tmpdir(), 'mlops-event-'));
    base = baseRepository(pushEvent('0'.repeat(40)));
    github = await startGitHubServer({
      repo: base,
      tokens: {
        [TOKEN]: { login: null, actor: BOT, pullRequestsWrite: true },
        [APP_TOKEN]: { login: null, actor: APP, pullRequestsWrite: true },
        [NO_ACTIONS_TOKEN]: {
          login: null,
          actor: BOT,
          pullRequestsWrite: true,
          actionsRead: false,
        },
      },
    });
    for (const n of [5, 6])
      github.addPull({ number: n, headRef: `b${n}`, headSha: `${n}`.repeat(40), headRepo: base });
  });
  afterAll(async () => {
    await github?.close();
    for (const dir of [workspace, events]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function report(
    inputs: Record<string, string>,
    event: { name: string; payload: Record<string, unknown> },
  ) {
    const dir = await mkdtemp(join(events, 'e-'));
    return runAction('report', {
      workspace,
      inputs: { 'github-token': TOKEN, report: 'reports/report.md', ...inputs },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: base,
        GITHUB_EVENT_NAME: event.name,
        GITHUB_EVENT_PATH: await writeEvent(dir, event.payload),
      },
    });
  }

  it('comments on the pull request named by pr-number, whatever the event', async () => {
    const run = await report(
      { 'pr-number': '5' },
      { name: 'push', payload: pushEvent('1'.repeat(40)) },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['pr-number']).toBe('5');
    expect(github.comments(5)).toHaveLength(1);
  });

  it('outside a pull request writes the job summary only', async () => {
    const run = await report({}, { name: 'push', payload: pushEvent('2'.repeat(40)) });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ 'pr-number': '', 'comment-id': '', 'comment-url': '' });
    expect(run.annotations).toContainEqual(expect.objectContaining({ level: 'notice' }));
    expect(run.summary).toContain('all gates passed');
  });

  it('cuts a report longer than GitHub allows in a comment, and says so', async () => {
    const payload = pullRequestEvent('opened', {
      number: 6,
      sha: '6'.repeat(40),
      branch: 'b6',
      repo: base,
    });
    const run = await report({ report: 'reports/long.md' }, { name: 'pull_request', payload });
    expect(run.code, run.stdout).toBe(0);
    const body = github.comments(6)[0]!.body;
    expect(LONG.length).toBeGreaterThan(65_536);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.startsWith(REPORT_MARKER)).toBe(true);
    expect(body).toContain('the report was cut to fit a comment');
  });

  it('fails with exit status 2 when the report is missing', async () => {
    const run = await report(
      { report: 'reports/none.md', 'pr-number': '5' },
      { name: 'push', payload: pushEvent('3'.repeat(40)) },
    );
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toContain(
      'reports/none.md: cannot read the report (ENOENT)',
    );
    expect(github.violations).toEqual([]);
  });

  /** A pr.yml run of pull request `pr` at `sha` that ended with `conclusion`, its jobs as GitHub lists them. */
  let runs = 7000;
  function finishedRun(
    pr: number,
    sha: string,
    conclusion: 'success' | 'failure' | 'cancelled',
    jobs: RunJob[] = [],
  ) {
    const id = ++runs;
    const head = { number: pr, sha, branch: `b${pr}`, repo: base };
    github.addWorkflowRun({ id, name: 'pr', headSha: sha, headBranch: head.branch, jobs });
    const payload = workflowRunEvent(
      String(id),
      head,
      conclusion === 'success' ? 'success' : 'failure',
    );
    Object.assign(payload['workflow_run'] as object, {
      conclusion,
      html_url: `https://github.com/${base}/actions/runs/${id}`,
    });
    return { id, event: { name: 'workflow_run', payload } };
  }
  const job = (name: string, conclusion: RunJob['conclusion'], failedStep?: string): RunJob => ({
    name,
    conclusion,
    steps:
      conclusion === 'skipped'
        ? []
        : ([
            { name: 'Run actions/checkout@v7', conclusion: 'success' },
            ...(failedStep
              ? [
                  {
                    name: failedStep,
                    conclusion: conclusion === 'cancelled' ? 'cancelled' : 'failure',
                  },
                  { name: 'Run actions/upload-artifact@v7', conclusion: 'skipped' },
                ]
              : [{ name: `Run ./actions/${name}`, conclusion: 'success' }]),
          ] as RunJob['steps']),
  });
  const open = (pr: number, sha: string) =>
    github.addPull({ number: pr, headRef: `b${pr}`, headSha: sha, headRepo: base });
  const marked = (pr: number) =>
    github.comments(pr).filter((c) => c.body.startsWith(REPORT_MARKER));

  it('after a run whose training crashed, the one comment names the job and step that failed, linked, and the earlier verdict is gone', async () => {
    open(10, 'a'.repeat(40));
    const earlier = github.addComment(10, BOT, PASSED);
    const { id, event } = finishedRun(10, 'a'.repeat(40), 'failure', [
      job('lint', 'success'),
      job('test', 'success'),
      job('train', 'failure', 'Run ./actions/train'),
      job('validate-threshold', 'skipped'),
      job('benchmark', 'skipped'),
    ]);
    // pr-comment.yml downloads no artifact: the run uploaded none.
    const run = await report({ report: 'reports/none.md' }, event);
    expect(run.code, run.stdout).toBe(0);
    expect(marked(10)).toHaveLength(1);
    const body = marked(10)[0]!.body;
    expect(marked(10)[0]!.id).toBe(earlier.id);
    expect(body).not.toContain('all gates passed');
    expect(body).toContain('## ❌ `pr` failed: `train` › `Run ./actions/train`');
    expect(body).toMatch(
      new RegExp(
        `\\| \`train\` \\| \`Run ./actions/train\` \\| \\[failure\\]\\(https://github.com/${base}/actions/runs/${id}/job/\\d+\\) \\|`,
      ),
    );
    expect(body).not.toContain('`lint`');
    expect(body).toContain(
      `[pr run #36](https://github.com/${base}/actions/runs/${id}) for \`aaaaaaa\``,
    );
    expect(body).toContain('It uploaded no report');
    expect(run.summary).toContain('`pr` failed');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'warning', message: expect.stringContaining('no report') }),
    );
    expect(github.violations).toEqual([]);
  });

  it('after a failed benchmark gate, the failure stands above the report the run uploaded', async () => {
    open(11, 'b'.repeat(40));
    github.addComment(11, BOT, PASSED);
    const { event } = finishedRun(11, 'b'.repeat(40), 'failure', [
      job('train', 'success'),
      job('validate-threshold', 'success'),
      job('benchmark', 'failure', 'Run ./actions/benchmark'),
    ]);
    const run = await report({ report: 'reports/benchmark-failed.md' }, event);
    expect(run.code, run.stdout).toBe(0);
    const body = marked(11)[0]!.body;
    expect(marked(11)).toHaveLength(1);
    expect(
      body.indexOf('## ❌ `pr` failed: `benchmark` › `Run ./actions/benchmark`'),
    ).toBeGreaterThan(0);
    expect(body.indexOf('❌ `pr` failed')).toBeLessThan(
      body.indexOf('| model_size_kb <= 0.001 | ❌ fail |'),
    );
    expect(body).toContain('Below, the report it uploaded');
    expect(body.split(REPORT_MARKER)).toHaveLength(2);
  });

  it('after a cancelled run, the comment says it was cancelled and where', async () => {
    open(12, 'c'.repeat(40));
    github.addComment(12, BOT, PASSED);
    const { event } = finishedRun(12, 'c'.repeat(40), 'cancelled', [
      job('train', 'cancelled', 'Run ./actions/train'),
    ]);
    const run = await report({ report: 'reports/none.md' }, event);
    expect(run.code, run.stdout).toBe(0);
    expect(marked(12)[0]!.body).toContain(
      '## ⚪ `pr` was cancelled: `train` › `Run ./actions/train`',
    );
    expect(marked(12)[0]!.body).not.toContain('all gates passed');
  });

  it("a run for a commit the pull request has moved past never replaces the head's report", async () => {
    const [d, e] = ['d'.repeat(40), 'e'.repeat(40)];
    open(13, d);
    await report({}, finishedRun(13, d, 'success').event);
    expect(marked(13)[0]!.body).toContain('all gates passed');
    // A push moves the head to e: d's run, cancelled as superseded, says so instead of d's verdict.
    open(13, e);
    const superseded = await report(
      { report: 'reports/none.md' },
      finishedRun(13, d, 'cancelled').event,
    );
    expect(superseded.code, superseded.stdout).toBe(0);
    expect(marked(13)).toHaveLength(1);
    expect(marked(13)[0]!.body).toContain('## ⏳ `eeeeeee` is being checked');
    expect(marked(13)[0]!.body).not.toContain('all gates passed');
    // e's report replaces it; a late result for d (a re-run) then leaves e's alone.
    await report({}, finishedRun(13, e, 'success').event);
    const headReport = marked(13)[0]!.body;
    expect(headReport).toContain('all gates passed');
    const late = await report({ report: 'reports/none.md' }, finishedRun(13, d, 'failure').event);
    expect(late.code, late.stdout).toBe(0);
    expect(late.stdout).toContain('kept the report comment on #13');
    expect(marked(13)).toHaveLength(1);
    expect(marked(13)[0]!.body).toBe(headReport);
  });

  it("with a GitHub App's token, which GET /user refuses, a second run updates the same comment", async () => {
    const sha = 'f'.repeat(40);
    open(14, sha);
    // A person quoting the report's first line, and a comment of the workflow token's bot.
    const human = github.addComment(14, 'octocat', `${REPORT_MARKER}\nquoting the bot`);
    const first = await report(
      { 'github-token': APP_TOKEN },
      finishedRun(14, sha, 'success').event,
    );
    expect(first.code, first.stdout).toBe(0);
    // Nothing of ours yet: the list is read again just before the comment is created.
    expect(
      github.requests
        .filter((r) => r.path.startsWith(`/repos/${base}/issues/14/comments`))
        .map((r) => r.operationId),
    ).toEqual(['issues/list-comments', 'issues/list-comments', 'issues/create-comment']);
    const second = await report(
      { 'github-token': APP_TOKEN },
      finishedRun(14, sha, 'success').event,
    );
    expect(second.code, second.stdout).toBe(0);
    const mine = github.comments(14).filter((c) => c.user.login === APP);
    expect(mine).toHaveLength(1);
    expect(second.outputs['comment-id']).toBe(String(mine[0]!.id));
    expect(second.outputs['comment-id']).toBe(first.outputs['comment-id']);
    expect(github.comments(14).find((c) => c.id === human.id)!.body).toBe(
      `${REPORT_MARKER}\nquoting the bot`,
    );
    expect(github.violations).toEqual([]);
  });

  it("of several marked comments, the newest of the token's own is updated and another bot's is left alone", async () => {
    const sha = '1'.repeat(40);
    open(15, sha);
    const older = github.addComment(15, BOT, `${PASSED}older`);
    const newer = github.addComment(15, BOT, `${PASSED}newer`);
    const other = github.addComment(15, 'other-app[bot]', `${REPORT_MARKER}\nnot ours`);
    const run = await report({}, finishedRun(15, sha, 'success').event);
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs['comment-id']).toBe(String(newer.id));
    const byId = (id: number) => github.comments(15).find((c) => c.id === id)!.body;
    expect(byId(older.id)).toBe(`${PASSED}older`);
    expect(byId(other.id)).toBe(`${REPORT_MARKER}\nnot ours`);
    expect(byId(newer.id)).toContain('all gates passed');
    expect(github.comments(15)).toHaveLength(3);
  });

  it('without actions: read the comment still says the run failed, and the log says which permission is missing', async () => {
    const sha = '2'.repeat(40);
    open(16, sha);
    const { event } = finishedRun(16, sha, 'failure', [
      job('train', 'failure', 'Run ./actions/train'),
    ]);
    const run = await report(
      { 'github-token': NO_ACTIONS_TOKEN, report: 'reports/none.md' },
      event,
    );
    expect(run.code, run.stdout).toBe(0);
    expect(marked(16)[0]!.body).toContain('## ❌ `pr` failed\n');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringContaining('actions: read'),
      }),
    );
  });
});
