/**
 * The report action on its own: where its pull request number comes from, what
 * it does outside a pull request, a report too long for a comment, a missing report.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { baseRepository, pullRequestEvent, pushEvent, writeEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runAction } from './helpers/run-action.js';

const TOKEN = 'ghs_report_writer';
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
    });
    events = await mkdtemp(join(tmpdir(), 'mlops-event-'));
    base = baseRepository(pushEvent('0'.repeat(40)));
    github = await startGitHubServer({
      repo: base,
      tokens: { [TOKEN]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true } },
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
});
