/**
 * actions/propose run as the runner runs it, against a repository whose origin
 * is a bare git repository and the GitHub API stand-in: what it refuses, and
 * that a refusal leaves origin and the pull requests as they were.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runAction } from './helpers/run-action.js';

const exec = promisify(execFile);
const REPO = 'octo-org/octo-repo';
const TOKEN = 'ghs_propose';
const READ_ONLY = 'ghs_read_only';

const git = (cwd: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], {
    cwd,
  }).then(({ stdout }) => stdout.trim());

describe('actions/propose', () => {
  let github: GitHubServer;
  let scratch: string;
  let origin: string;
  let work: string;

  beforeAll(async () => {
    github = await startGitHubServer({
      repo: REPO,
      tokens: {
        [TOKEN]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true },
        [READ_ONLY]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: false },
      },
    });
  });
  afterAll(() => github?.close());

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mlops-propose-'));
    origin = join(scratch, 'origin.git');
    work = join(scratch, 'work');
    await git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
    await git(scratch, 'init', '-q', '-b', 'main', work);
    await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: aaa\n');
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'data');
    await git(work, 'remote', 'add', 'origin', origin);
    await git(work, 'push', '-q', 'origin', 'main');
  });
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  const propose = (inputs: Record<string, string>, token = TOKEN) =>
    runAction('propose', {
      workspace: work,
      inputs: {
        branch: 'mlops/data-refresh',
        title: 'Data refresh',
        paths: '*.dvc',
        'body-file': join(scratch, 'body.md'),
        base: 'main',
        'github-token': token,
        ...inputs,
      },
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPO },
    });
  const branches = () => git(origin, 'branch', '--list', '--format=%(refname:short)');

  it('a missing body file is refused before anything is pushed or opened', async () => {
    await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: bbb\n');
    const requests = github.requests.length;
    const run = await propose({});
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toContain('input "body-file": cannot read');
    expect(await branches()).toBe('main');
    expect(github.requests.length).toBe(requests);
  });

  it('a pathspec that matches nothing is refused, naming the input', async () => {
    const run = await propose({ paths: 'nowhere.dvc' });
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toMatch(/^input "paths": .*nowhere\.dvc/);
  });

  it('a branch name git refuses is refused, naming the input, nothing pushed', async () => {
    await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: bbb\n');
    await writeFile(join(scratch, 'body.md'), 'Fresh data\n');
    const run = await propose({ branch: 'mlops/bad..name' });
    expect(run.code).toBe(2);
    expect(run.annotations[0]!.message).toMatch(/^input "branch": .*bad\.\.name/);
    expect(await branches()).toBe('main');
  });

  it('a token that may not open pull requests fails with the setting to check, the token masked', async () => {
    await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: bbb\n');
    await writeFile(join(scratch, 'body.md'), 'Fresh data\n');
    const run = await propose({}, READ_ONLY);
    expect(run.code).not.toBe(0);
    expect(run.masks).toContain(READ_ONLY);
    const message = run.annotations.map((a) => a.message).join('\n');
    expect(message).toContain('HTTP 403');
    expect(message).toContain('allow GitHub Actions to create pull requests');
    expect(run.stdout.replace(`::add-mask::${READ_ONLY}`, '')).not.toContain(READ_ONLY);
    // The branch is there; a rerun with a token that may updates it and opens the pull request.
    expect(await branches()).toContain('mlops/data-refresh');
    expect(github.violations).toEqual([]);
  });
});
