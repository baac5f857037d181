/**
 * A pull request's comment tells what its data changes against the base
 * branch's: pr.yml runs on the merge commit as GitHub checks it out, the train
 * job pulls the base's data from the same DVC remote (a local folder here) and
 * compares, and pr-comment.yml posts the section with the rest of the report.
 * Unchanged data says so; a pull request whose base data cannot be had (a
 * fork's, without the remote's secrets) gets a section saying why, and its run
 * does not fail for it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pushData } from '../../pipeline/data/sync.js';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { action } from '../../workflows/steps.js';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { baseRepository, pullRequestEvent, type Head } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { pushToPullRequest } from './helpers/pull-request.js';

const exec = promisify(execFile);
const BOT = 'github-actions[bot]';
const READ_TOKEN = 'ghs_pr_data_read_only';
const WRITE_TOKEN = 'ghs_pr_data_comment';
const PUSH_TIMEOUT = 300_000;

const git = (cwd: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], {
    cwd,
  }).then(({ stdout }) => stdout.trim());

/** data.dvc for the file's bytes, as `dvc add` writes it. */
async function pointTo(repo: string, text: string): Promise<void> {
  await writeFile(join(repo, 'data', 'penguins.json'), text);
  const md5 = createHash('md5').update(text).digest('hex');
  await writeFile(
    join(repo, 'data.dvc'),
    `outs:\n- md5: ${md5}\n  size: ${Buffer.byteLength(text)}\n  hash: md5\n  path: data/penguins.json\n`,
  );
  const ws = await openWorkspace(repo);
  await ws.cache.putFile(md5, join(repo, 'data', 'penguins.json'), 'md5');
  await pushData(ws, await resolveTargets(ws, ['data.dvc']));
}

describe('a pull request comment compares the data with the base branch', () => {
  let scratch: string;
  let repo: string;
  let store: string;
  let github: GitHubServer;
  let cache: CacheServer;
  let baseRepo: string;
  let baseData: string;
  const artifacts = new Map<string, Map<string, string>>();
  let runs = 0;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mlops-pr-data-'));
    store = join(scratch, 'dvc-store');
    repo = await makeRepository({
      '.gitignore': 'node_modules\n/data/penguins.json\n/artifacts/\n/reports/\n/.dvc/cache/\n',
    });
    await mkdir(join(repo, '.dvc'));
    await writeFile(
      join(repo, '.dvc', 'config'),
      `[core]\n    remote = local\n['remote "local"']\n    url = ${store}\n`,
    );
    baseData = await readFile(join(repo, 'data', 'penguins.json'), 'utf8');
    await git(repo, 'init', '-q', '-b', 'main');
    await pointTo(repo, baseData);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'main');
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
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /**
   * A branch off main with `change`, merged into main as refs/pull/N/merge is:
   * the checkout GitHub gives a pull_request run. Main itself stays where it was.
   */
  async function mergeCommit(branch: string, change: () => Promise<void>): Promise<void> {
    await git(repo, 'checkout', '-q', 'main');
    await git(repo, 'checkout', '-q', '-b', branch);
    await change();
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', branch);
    await git(repo, 'checkout', '-q', '--detach', 'main');
    await git(repo, 'merge', '-q', '--no-ff', '-m', `Merge ${branch} into main`, branch);
    // The merge's data, in the workspace as a checkout's pull would leave it; nothing in the cache.
    await rm(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
  }

  async function push(number: number, fork = false) {
    const head: Head = {
      number,
      sha: String(number).repeat(40).slice(0, 40),
      branch: `pr-${number}`,
      repo: fork ? 'forker/Hello-World' : baseRepo,
    };
    const run = await pushToPullRequest({
      github,
      source: repo,
      head,
      action: 'opened',
      runId: 7000 + ++runs,
      prToken: READ_TOKEN,
      commentToken: WRITE_TOKEN,
      artifacts,
      artifactDir: join(scratch, 'artifacts'),
      env: { ...cache.env, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: baseRepo },
      jobs: ['train', 'validate-threshold', 'benchmark'],
      event: (payload) => {
        const pr = payload['pull_request'] as { base: { ref: string } } | undefined;
        if (pr) pr.base.ref = 'main';
        return payload;
      },
    });
    for (const name of ['train', 'benchmark']) {
      const job = run.prRun[`pr / ${name}`]!;
      expect(
        job.result,
        JSON.stringify(job.steps.map((s) => [s.step.uses, s.outcome, s.action?.stderr])),
      ).toBe('success');
    }
    const train = run.prRun['pr / train']!;
    const comments = github
      .comments(number)
      .filter((c) => c.user.login === BOT && c.body.includes(REPORT_MARKER));
    expect(comments).toHaveLength(1);
    return {
      body: comments[0]!.body,
      train: train.steps.find((s) => s.step.uses === action('train').uses)!.action!,
    };
  }

  it(
    'the same data as main: the section says it is unchanged',
    { timeout: PUSH_TIMEOUT },
    async () => {
      await mergeCommit('docs', () => writeFile(join(repo, 'NOTES.md'), 'About the birds.\n'));
      const { body } = await push(3);
      expect(body).toContain('### ✅ Data changes against `main`: none');
      expect(body).toContain('The data is the same as at `main`');
      // The section stands with the other stages', before the benchmark.
      expect(body.indexOf('Data changes against `main`')).toBeLessThan(
        body.indexOf('### Benchmark'),
      );
    },
  );

  it(
    'changed data: the comment has the rows added and removed, the schema and the drift against main',
    { timeout: PUSH_TIMEOUT },
    async () => {
      await mergeCommit('fewer-birds', () =>
        pointTo(repo, `${JSON.stringify(JSON.parse(baseData).slice(44), null, 2)}\n`),
      );
      const { body } = await push(4);
      expect(body).toMatch(/### (⚠️|✅) Data changes against `main`/);
      expect(body).toContain('(344 rows) → `');
      expect(body).toContain('(300 rows).');
      expect(body).toContain('| added | 0 |');
      expect(body).toContain('| removed | 44 |');
      expect(body).toContain('#### Drift per feature');
      expect(body).toMatch(/\| Body Mass \(g\) \| numeric \| [\d.]+ \|/);
      expect(body.indexOf('Data changes against `main`')).toBeLessThan(
        body.indexOf('### Benchmark'),
      );
    },
  );

  it(
    "a fork's pull request whose base data cannot be pulled: the section says why, and the run passes",
    { timeout: PUSH_TIMEOUT },
    async () => {
      // The remote refuses what a fork's run would need: main's data is not to be had.
      await rm(store, { recursive: true, force: true });
      await mkdir(store);
      const { body, train } = await push(5, true);
      expect(train.code).toBe(0);
      expect(train.annotations).toContainEqual(
        expect.objectContaining({
          level: 'warning',
          message: expect.stringContaining('data changes against main: not compared'),
        }),
      );
      expect(body).toContain('### ⚪ Data changes against `main`: not compared');
      expect(body).toContain("The data could not be compared with `main`'s:");
      // Why, as the remote answered.
      expect(body).toMatch(
        /section data-changes -->[^<]*not in the remote[^<]*<!-- \/mlops-section/,
      );
      expect(body).not.toContain('#### Drift per feature');
    },
  );
});
