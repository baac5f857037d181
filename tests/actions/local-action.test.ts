/**
 * Each action run by GitHub's @github/local-action, as an author debugging one
 * would: `local-action run actions/<name> src/main.ts <name>.env`, inputs from
 * the .env file (tests/actions/local-action/<name>.env, its ${...} filled in
 * here), @actions/core, @actions/github and @actions/cache replaced by
 * local-action's stubs, and `run()` from src/main.ts awaited.
 *
 * What local-action needs, found by running it here (7.0.1):
 * - It runs from this checkout (cwd = REPO_ROOT), not from the workspace. It
 *   finds the packages to stub with `npm ls` in the current directory and stubs
 *   them by path; from the fixture workspace, whose node_modules is a link to
 *   this checkout's, `npm ls` names /tmp/…/node_modules/@actions/core while the
 *   action imports /work/…/node_modules/@actions/core, so nothing is stubbed,
 *   the real @actions/core runs and local-action prints "No outputs were set!".
 *   Every path input therefore names the workspace absolutely.
 * - GITHUB_API_URL comes from the environment local-action starts with: its
 *   Octokit stub reads it when loaded, before the .env file is.
 * - An input given empty (`INPUT_X=`) takes action.yml's default, as one not
 *   given does: the files leave out what they do not set.
 * - Exit status: `process.exitCode` set by run() comes back through local-action.
 * - Its core.error/warning print properties unescaped (a ':' in a title stays
 *   ':'), which the runner's own parser would cut short: such lines are matched
 *   as printed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { baseRepository, pushEvent, writeEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { parseAnnotations, REPO_ROOT, type Annotation } from './helpers/run-action.js';

const exec = promisify(execFile);
const ENV_FILES = join(REPO_ROOT, 'tests', 'actions', 'local-action');
const LOCAL_ACTION = join(
  REPO_ROOT,
  'node_modules',
  '@github',
  'local-action',
  'bin',
  'local-action.js',
);
const TOKEN = 'ghs_local_action';

interface LocalRun {
  code: number;
  stdout: string;
  /** The "Action Outputs" table local-action prints after run() returns. */
  outputs: Record<string, string>;
  annotations: Annotation[];
  summary: string;
}

/** Rows of the outputs table: `│ 0 │ 'model-version' │ '30613f5fbf7e' │`. */
function printedOutputs(stdout: string): Record<string, string> {
  const table = stdout.slice(stdout.lastIndexOf('Action Outputs'));
  const outputs: Record<string, string> = {};
  for (const m of table.matchAll(/^│\s*\d+\s*│\s*'([^']*)'\s*│\s*'(.*)'\s*│$/gm))
    outputs[m[1]!] = m[2]!;
  return outputs;
}

async function localAction(
  name: string,
  vars: Record<string, string>,
  env: Record<string, string> = {},
): Promise<LocalRun> {
  const temp = await mkdtemp(join(tmpdir(), 'mlops-local-action-'));
  try {
    const template = await readFile(join(ENV_FILES, `${name}.env`), 'utf8');
    const filled = template.replace(/\$\{(\w+)\}/g, (_, key: string) => {
      const value = key === 'RUNNER_TEMP' ? temp : vars[key];
      if (value === undefined) throw new Error(`${name}.env: no value for \${${key}}`);
      return value;
    });
    const dotenv = join(temp, `${name}.env`);
    await writeFile(dotenv, filled);
    await writeFile(join(temp, 'summary.md'), '');
    const child = spawn(
      process.execPath,
      [LOCAL_ACTION, 'run', join('actions', name), 'src/main.ts', dotenv],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? temp,
          NO_COLOR: '1',
          // local-action starts tsx through `npm exec`: the local one, never the registry.
          npm_config_offline: 'true',
          npm_config_update_notifier: 'false',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number>((done, fail) => {
      child.on('error', fail);
      child.on('close', (c) => done(c ?? -1));
    });
    return {
      code,
      stdout,
      outputs: printedOutputs(stdout),
      annotations: parseAnnotations(stdout),
      summary: await readFile(join(temp, 'summary.md'), 'utf8'),
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

describe('each action run by @github/local-action', { timeout: 120_000 }, () => {
  let workspace: string;
  let keys: string;

  beforeAll(async () => {
    workspace = await makeRepository({
      // Line 2: an unused variable (ESLint) that is also a type error (tsc).
      'src/broken.ts': "export const answer = 42;\nconst unused: number = 'text';\n",
      'tests/failing.test.ts': [
        "import { expect, it } from 'vitest';",
        '',
        "it('adds up', () => {",
        '  expect(1 + 1).toBe(3);',
        '});',
        '',
      ].join('\n'),
    });
    keys = await mkdtemp(join(tmpdir(), 'mlops-keys-'));
  });
  afterAll(async () => {
    for (const dir of [workspace, keys]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lint finds the seeded lint and type errors and fails', async () => {
    const run = await localAction('lint', { WORKSPACE: workspace });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs).toEqual({ errors: '2', warnings: '0' });
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        title: 'eslint',
        file: 'src/broken.ts',
        line: 2,
        message: expect.stringContaining('no-unused-vars'),
      }),
    );
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ title: 'tsc', file: 'src/broken.ts', line: 2 }),
    );
    expect(run.summary).toContain('tsc --noEmit');
  });

  it('test counts the passed and failed tests and fails', async () => {
    const run = await localAction('test', { WORKSPACE: workspace });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs).toMatchObject({ total: '2', passed: '1', failed: '1', skipped: '0' });
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ file: 'tests/failing.test.ts', line: 4, title: 'Test failed' }),
    );
  });

  it('train trains the fixture and outputs its model version', async () => {
    const run = await localAction('train', { WORKSPACE: workspace });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ trained: 'true', 'cache-hit': 'false' });
    const version = run.outputs['model-version']!;
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    const metadata = JSON.parse(
      await readFile(join(workspace, 'artifacts', 'model', 'metadata.json'), 'utf8'),
    ) as { model_version: string };
    expect(metadata.model_version).toBe(version);
    expect(run.summary).toContain(`Model ${version}`);
  });

  it('validate-threshold passes the gates the model meets and fails the one it does not', async () => {
    const run = await localAction('validate-threshold', { WORKSPACE: workspace });
    expect(run.code, run.stdout).toBe(1);
    expect(run.outputs['passed']).toBe('false');
    expect(JSON.parse(run.outputs['failed-gates']!)).toEqual(['log_loss <= 0.0001']);
    expect(run.stdout).toMatch(/pass {2}accuracy >= 0\.95/);
    // local-action's core.error writes properties unescaped (a ':' in the title
    // stays ':'), so the annotation is matched as the line it prints.
    expect(run.stdout).toMatch(
      /^::error title=Quality gate failed: log_loss <= 0\.0001,file=mlops\.yaml,line=\d+.*::log_loss <= 0\.0001: the model has log_loss/m,
    );
    expect(await readFile(join(workspace, 'reports', 'report.md'), 'utf8')).toContain(
      REPORT_MARKER,
    );
  });

  it('benchmark writes bench.json and adds its section to the report', async () => {
    const run = await localAction('benchmark', { WORKSPACE: workspace });
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ 'benchmark-path': 'reports/bench.json', passed: 'true' });
    const bench = JSON.parse(await readFile(join(workspace, 'reports', 'bench.json'), 'utf8')) as {
      format: string;
      backend: string;
      model_size_bytes: number;
    };
    expect(bench).toMatchObject({ format: 'mlops-bench/1', backend: 'wasm' });
    expect(run.outputs['model-bytes']).toBe(String(bench.model_size_bytes));
    expect(Number(run.outputs['p99-ms'])).toBeGreaterThan(0);
    expect(await readFile(join(workspace, 'reports', 'report.md'), 'utf8')).toContain('Benchmark');
  });

  describe('report', () => {
    let github: GitHubServer;
    let events: string;
    const repo = baseRepository(pushEvent('0'.repeat(40)));

    beforeAll(async () => {
      events = await mkdtemp(join(tmpdir(), 'mlops-event-'));
      github = await startGitHubServer({
        repo,
        tokens: { [TOKEN]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true } },
      });
      github.addPull({ number: 5, headRef: 'b5', headSha: '5'.repeat(40), headRepo: repo });
    });
    afterAll(async () => {
      await github?.close();
      if (events) await rm(events, { recursive: true, force: true });
    });

    it('posts the report on the pull request through the API stand-in', async () => {
      const run = await localAction(
        'report',
        {
          WORKSPACE: workspace,
          REPOSITORY: repo,
          EVENT_PATH: await writeEvent(events, pushEvent('1'.repeat(40))),
          TOKEN,
          PR_NUMBER: '5',
        },
        { GITHUB_API_URL: github.url },
      );
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs['pr-number']).toBe('5');
      const comments = github.comments(5);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(REPORT_MARKER);
      expect(comments[0]!.body).toContain('Benchmark');
      expect(run.outputs['comment-id']).toBe(String(comments[0]!.id));
      expect(github.violations).toEqual([]);
    });
  });

  it('propose pushes the changed pointer to its branch and opens one pull request', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'mlops-propose-'));
    const repo = 'octo-org/octo-repo';
    const github = await startGitHubServer({
      repo,
      tokens: { [TOKEN]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true } },
    });
    const git = (cwd: string, ...args: string[]) =>
      exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], { cwd });
    try {
      const origin = join(scratch, 'origin.git');
      const work = join(scratch, 'work');
      await git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
      await git(scratch, 'init', '-q', '-b', 'main', work);
      await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: aaa\n');
      await git(work, 'add', '-A');
      await git(work, 'commit', '-q', '-m', 'data');
      await git(work, 'remote', 'add', 'origin', origin);
      await git(work, 'push', '-q', 'origin', 'main');
      await writeFile(join(work, 'data.dvc'), 'outs:\n- md5: bbb\n');
      await writeFile(join(scratch, 'body.md'), 'Fresh data.\n');
      const run = await localAction(
        'propose',
        { WORKSPACE: work, REPOSITORY: repo, BODY_FILE: join(scratch, 'body.md'), TOKEN },
        { GITHUB_API_URL: github.url },
      );
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs).toMatchObject({ result: 'created', 'pr-number': expect.any(String) });
      const { stdout } = await git(origin, 'show', 'mlops/data-refresh:data.dvc');
      expect(stdout).toContain('md5: bbb');
      expect(github.violations).toEqual([]);
    } finally {
      await github.close();
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('deploy-vm in dry run checks the keys and the model and changes nothing', async () => {
    const keygen = (file: string, comment: string) =>
      exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', join(keys, file)]);
    await keygen('host', 'vm');
    await keygen('deploy', 'deploy');
    const hostKey = (await readFile(join(keys, 'host.pub'), 'utf8')).trim();
    const run = await localAction('deploy-vm', {
      WORKSPACE: workspace,
      PRIVATE_KEY: (await readFile(join(keys, 'deploy'), 'utf8')).trim(),
      HOST_KEY: hostKey,
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('deploy@10.0.0.5:22, host key ssh-ed25519');
    expect(run.summary).toContain('planned (dry run, nothing changed)');
  });
});
