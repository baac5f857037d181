/**
 * A team's loop, end to end, in a private repository whose origin is a bare git
 * repository on disk: a first pull request finds no production; its merge runs
 * deploy.yml, which puts the reviewed model live on a real sshd's "VM" and
 * records it on refs/mlops/production; a fork's pull request is compared with
 * that production, keeps one comment over its pushes and turns it ❌ when
 * training breaks; a second model is merged and deployed, production is rolled
 * back through the registry, and the next pull request compares with the
 * rolled-back model; with a GitHub App token there is still one comment.
 * Every step checks what a user sees: the comment, the record, the VM's bytes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSince } from '../../pipeline/production/render.js';
import { REPORT_MARKER } from '../../pipeline/report/markdown.js';
import { shortSha } from '../../pipeline/util/hash.js';
import { deploy } from '../../workflows/deploy.js';
import { prComment } from '../../workflows/pr-comment.js';
import { action } from '../../workflows/steps.js';
import type { CallJob, Step } from '../../workflows/types.js';
import { startSshd, type Sshd } from '../deploy/helpers/sshd.js';
import { createVm, STAND_IN_SERVER, type Vm } from '../deploy/helpers/vm.js';
import { startCacheServer, type CacheServer } from './helpers/cache-server.js';
import { baseRepository, pushEvent, type Head } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { pushToPullRequest, runUrl } from './helpers/pull-request.js';
import { REPO_ROOT } from './helpers/run-action.js';
import { runWorkflow, type JobResult } from './helpers/workflow-runner.js';

const exec = promisify(execFile);
const BOT = 'github-actions[bot]';
const APP = 'penguin-reviewer[bot]';
const READ_TOKEN = 'ghs_pr_read_only';
const WRITE_TOKEN = 'ghs_pr_comment';
const DEPLOY_TOKEN = 'ghs_deploy';
const APP_TOKEN = 'ghs_app_installation';
// pr.yml's lint and test jobs are pull-request.test.ts's; here the model is what moves.
const MODEL_JOBS = ['train', 'validate-threshold', 'benchmark'];
const STEP_TIMEOUT = 180_000;
/** The benchmark's size row with a change against a baseline, not "–". */
const SIZE_VS_BASELINE = /\| Model size on disk \| [0-9.]+ KB \| [−+][0-9.]+% /;

const git = (cwd: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], {
    cwd,
  }).then(({ stdout }) => stdout.trim());

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

interface Record_ {
  event: string;
  model_version: string;
  weights_sha256: string;
  commit: string | null;
  run: { id: string; url: string } | null;
  at: string;
  previous: string | null;
}

describe('a team’s loop: pull requests, deploys, a rollback', () => {
  let scratch: string;
  let origin: string;
  let work: string;
  let registry: string;
  let artifactDir: string;
  let github: GitHubServer;
  let cache: CacheServer;
  let sshd: Sshd;
  let vm: Vm;
  let base: string;
  const artifacts = new Map<string, Map<string, string>>();
  let runs = 100;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mlops-lifecycle-'));
    artifactDir = join(scratch, 'artifacts');
    registry = join(scratch, 'registry');
    origin = join(scratch, 'origin.git');
    await git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
    work = await makeRepository({ '.gitignore': 'node_modules\nartifacts/\nreports/\n' });
    await git(work, 'init', '-q', '-b', 'main');
    await git(work, 'add', '.');
    await git(work, 'commit', '-q', '-m', 'penguins');
    await git(work, 'remote', 'add', 'origin', origin);
    await git(work, 'push', '-q', 'origin', 'main');
    base = baseRepository(pushEvent('0'.repeat(40)));
    github = await startGitHubServer({
      repo: base,
      tokens: {
        [READ_TOKEN]: { login: null, actor: BOT, pullRequestsWrite: false },
        [WRITE_TOKEN]: { login: null, actor: BOT, pullRequestsWrite: true },
        [DEPLOY_TOKEN]: { login: null, actor: BOT, pullRequestsWrite: true },
        [APP_TOKEN]: { login: null, actor: APP, pullRequestsWrite: true },
      },
    });
    cache = await startCacheServer();
    sshd = await startSshd();
    vm = await createVm();
  }, 60_000);

  afterAll(async () => {
    await vm?.stop();
    await sshd?.stop();
    await github?.close();
    await cache?.close();
    for (const dir of [work, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Every event of this repository says what GitHub says of it: it is private. */
  const privately = (payload: Record<string, unknown>) => {
    Object.assign(payload['repository'] as object, { private: true });
    return payload;
  };

  /** A commit on the current branch of the team's checkout, with these files changed. */
  async function commit(message: string, files: Record<string, string>): Promise<string> {
    for (const [file, text] of Object.entries(files)) await writeFile(join(work, file), text);
    await git(work, 'add', ...Object.keys(files));
    await git(work, 'commit', '-q', '-m', message);
    return git(work, 'rev-parse', 'HEAD');
  }

  async function push(
    head: Head,
    event: 'opened' | 'synchronize',
    commentToken = WRITE_TOKEN,
    commentWorkflow = prComment,
  ) {
    return pushToPullRequest({
      github,
      source: work,
      head,
      action: event,
      runId: ++runs,
      prToken: READ_TOKEN,
      commentToken,
      commentWorkflow,
      artifacts,
      artifactDir,
      env: { ...cache.env, GITHUB_API_URL: github.url, GITHUB_REPOSITORY: base },
      jobs: MODEL_JOBS,
      event: privately,
    });
  }

  /** What deploy.yml's shell steps do on a runner, run here. */
  async function shell(
    step: Step,
    _job: string,
    env: Record<string, string>,
    workspace: string,
  ): Promise<'success'> {
    const script = step.run!;
    // The dependencies are this checkout's already.
    if (script === 'npm ci') return 'success';
    // The server beside the model: the deploy tests' stand-in, as deploy-vm-ssh.test.ts uses,
    // rather than the 460 MB staged project; what this test follows is the model's bytes.
    if (script.includes('deploy/stage-server.sh')) {
      await cp(STAND_IN_SERVER.dir, join(workspace, '.mlops', 'server'), { recursive: true });
      return 'success';
    }
    // The registry commands, run for real with the pipeline under test.
    const command = script.replaceAll('.mlops/pipeline/', `${REPO_ROOT}/`);
    try {
      await exec('bash', ['-euo', 'pipefail', '-c', command], {
        cwd: workspace,
        env: { ...process.env, ...env },
      });
      return 'success';
    } catch (error) {
      throw new Error(`${step.name ?? command} failed: ${String(error)}`, { cause: error });
    }
  }

  /** deploy.yml on the push a merge makes, to the test's VM through the real sshd. */
  async function deployMain(mergeSha: string) {
    const runId = String(++runs + 50_000);
    const run = await runWorkflow(deploy, {
      source: work,
      eventName: 'push',
      payload: privately(pushEvent(mergeSha)),
      token: DEPLOY_TOKEN,
      runId,
      artifacts,
      artifactDir,
      // No cache service: on GitHub, main cannot restore what pull requests cached, so it retrains.
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: base,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: mergeSha,
      },
      secrets: { MLOPS_REGISTRY: registry },
      // The VM's secrets are the production environment's, as docs/github.md sets them up.
      environments: {
        production: {
          DEPLOY_HOST: '127.0.0.1',
          DEPLOY_USER: 'root',
          DEPLOY_HOST_KEY: sshd.knownHostsLine,
          DEPLOY_SSH_KEY: sshd.privateKey,
          MODEL_URL: `http://127.0.0.1:${vm.servicePort}`,
        },
      },
      // Where this VM differs from a production one: its SSH port, release root and service manager.
      actionInputs: {
        'deploy-vm': {
          port: String(sshd.port),
          base: vm.base,
          'service-command': vm.serviceCommand,
          'ready-timeout': '30',
        },
      },
      onRun: shell,
    });
    const job = run['deploy / deploy']!;
    expect(job.result, describeJob(job)).toBe('success');
    const deployed = job.steps.find((s) => s.step.uses === action('deploy-vm').uses)!.action!;
    expect(deployed.outputs['deployed']).toBe('true');
    return { runId, deployed };
  }

  /** Merge the pull request on main with a merge commit, push it, and tell the API. */
  async function merge(head: Head, branch: string): Promise<string> {
    await git(work, 'checkout', '-q', 'main');
    await git(work, 'merge', '-q', '--no-ff', '-m', `Merge pull request #${head.number}`, branch);
    await git(work, 'push', '-q', 'origin', 'main');
    const mergeSha = await git(work, 'rev-parse', 'HEAD');
    github.addPull({
      number: head.number,
      headRef: head.branch,
      headSha: head.sha,
      headRepo: head.repo,
      state: 'closed',
      mergeCommitSha: mergeSha,
    });
    return mergeSha;
  }

  /** refs/mlops/production on origin, newest first. */
  async function records(): Promise<Record_[]> {
    const log = await git(origin, 'log', '--format=%H', 'refs/mlops/production').catch(() => '');
    return Promise.all(
      log
        .split('\n')
        .filter(Boolean)
        .map(async (id) => JSON.parse(await git(origin, 'show', `${id}:record.json`)) as Record_),
    );
  }

  const productionMetrics = async (): Promise<Record<string, number>> =>
    (
      JSON.parse(await git(origin, 'show', 'refs/mlops/production:metrics.json')) as {
        metrics: Record<string, number>;
      }
    ).metrics;

  const describeJob = (job: JobResult) =>
    JSON.stringify(
      job.steps.map((s) => [
        s.step.name ?? s.step.uses ?? s.step.run,
        s.outcome,
        s.action?.stdout.slice(-2000),
        s.action?.stderr.slice(-2000),
      ]),
    );

  const reports = (n: number, login = BOT) =>
    github.comments(n).filter((c) => c.user.login === login && c.body.includes(REPORT_MARKER));

  /** The model a comment shows, as the reviewer reads it. */
  const reviewed = (body: string) => {
    const m = /Model `([0-9a-f]{12})` · weights sha256 `([0-9a-f]{12})`/.exec(body);
    expect(m, body).not.toBeNull();
    return { version: m![1]!, weights: m![2]! };
  };

  const liveWeights = () => sha256(join(vm.base, 'current', 'model', 'weights.bin'));
  const trainOutputs = (run: Record<string, JobResult>) =>
    run['pr / train']!.steps.find((s) => s.step.uses === action('train').uses)!.action!.outputs;

  const yaml = { original: '' };
  let first: { version: string; weights: string };
  let second: { version: string; weights: string };
  let forkComment = 0;
  const fork = (sha: string): Head => ({
    number: 2,
    sha,
    branch: 'patch-1',
    repo: 'forker/Hello-World',
  });

  it(
    '1. the first pull request finds no production model, and its comment names the model and its weights',
    { timeout: STEP_TIMEOUT },
    async () => {
      yaml.original = await readFile(join(work, 'mlops.yaml'), 'utf8');
      await git(work, 'checkout', '-q', '-b', 'first-model');
      const sha = await commit('Explain the model', { 'MODEL.md': 'Penguin species.\n' });
      const head: Head = { number: 1, sha, branch: 'first-model', repo: base };
      const { prRun, commentRun } = await push(head, 'opened');
      for (const [name, job] of Object.entries(prRun))
        if (job.result !== 'skipped')
          expect(job.result, `${name}: ${describeJob(job)}`).toBe('success');
      expect(commentRun['comment / comment']!.result).toBe('success');

      const [comment, ...more] = reports(1);
      expect(more).toEqual([]);
      expect(comment!.body).toContain(
        'No production model yet: nothing to compare with; gates on changes are skipped.',
      );
      first = reviewed(comment!.body);
      expect(first.version).toBe(trainOutputs(prRun)['model-version']);
      expect(github.violations).toEqual([]);
    },
  );

  it(
    '2. the merge deploys the reviewed bytes to the VM and records the release on refs/mlops/production',
    { timeout: STEP_TIMEOUT },
    async () => {
      const mergeSha = await merge(
        {
          number: 1,
          sha: await git(work, 'rev-parse', 'first-model'),
          branch: 'first-model',
          repo: base,
        },
        'first-model',
      );
      const { runId, deployed } = await deployMain(mergeSha);
      expect(deployed.summary).toContain(
        `the reviewed model: version \`${first.version}\`, weights sha256 \``,
      );
      expect(deployed.summary).toContain('pull request #1');

      expect(await vm.current()).toContain(`releases/${first.version}`);
      const ready = await fetch(`http://127.0.0.1:${vm.servicePort}/readyz`);
      expect(JSON.stringify(await ready.json())).toContain(first.version);
      const weights = await liveWeights();
      expect(shortSha(weights)).toBe(first.weights);
      const [record, ...older] = await records();
      expect(older).toEqual([]);
      expect(record).toMatchObject({
        event: 'release',
        model_version: first.version,
        weights_sha256: weights,
        commit: mergeSha,
        run: { id: runId, url: runUrl(base, runId) },
        previous: null,
      });
      // Its benchmark is recorded too: the next pull request's "vs baseline".
      expect(await git(origin, 'show', 'refs/mlops/production:bench.json')).toContain('metrics');
      expect(github.violations).toEqual([]);
    },
  );

  it(
    '3. a fork’s pull request in the private repository checks out and is compared with production',
    { timeout: STEP_TIMEOUT },
    async () => {
      await git(work, 'checkout', '-q', '-b', 'patch-1', 'main');
      const sha = await commit('Train for fewer epochs', {
        'mlops.yaml': yaml.original.replace('epochs: 60', 'epochs: 40'),
      });
      const { prRun, commentRun } = await push(fork(sha), 'opened');
      // Every job checked the private repository out with its contents: read.
      for (const [name, job] of Object.entries({ ...prRun, ...commentRun }))
        for (const s of job.steps.filter((s) => s.step.uses?.startsWith('actions/checkout@')))
          expect(s.outcome, name).toBe('success');
      expect(prRun['pr / benchmark']!.result, describeJob(prRun['pr / train']!)).toBe('success');

      const [record] = await records();
      const [comment, ...more] = reports(2);
      expect(more).toEqual([]);
      second = reviewed(comment!.body);
      expect(second.version).not.toBe(first.version);
      expect(comment!.body).toContain(
        `Compared with production \`${first.version}\` (weights \`${first.weights}\`), live since ${liveSince(record!.at)} (release).`,
      );
      // Deltas against production's own metrics, from the record.
      expect(comment!.body).toContain('| Metric | This model | Baseline | Δ |');
      const production = await productionMetrics();
      expect(comment!.body).toMatch(
        new RegExp(`\\| accuracy \\| [0-9.]+ \\| ${production['accuracy']!.toFixed(4)} \\| [+-−]`),
      );
      expect(comment!.body).toMatch(SIZE_VS_BASELINE);
      forkComment = comment!.id;

      // Without contents: read (as pr-comment once granted), the comment job's checkout of the
      // private repository fails, and nothing is posted.
      const comment_ = prComment.jobs['comment'] as CallJob;
      const fewer = { ...comment_.permissions };
      delete fewer.contents;
      const { commentRun: refused } = await pushToPullRequest({
        github,
        source: work,
        head: fork(sha),
        action: 'synchronize',
        runId: ++runs,
        prToken: READ_TOKEN,
        commentToken: WRITE_TOKEN,
        commentWorkflow: { ...prComment, jobs: { comment: { ...comment_, permissions: fewer } } },
        artifacts,
        artifactDir,
        env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: base },
        jobs: [],
        event: privately,
      });
      const checkout = refused['comment / comment']!.steps[0]!;
      expect(checkout.step.uses).toMatch(/^actions\/checkout@/);
      expect(checkout.outcome).toBe('failure');
      expect(reports(2).map((c) => c.body)).toEqual([comment!.body]);
    },
  );

  it(
    '4. a second push to the fork’s pull request updates the same comment',
    { timeout: STEP_TIMEOUT },
    async () => {
      const sha = await commit('Say why', { 'MODEL.md': 'Penguin species, trained briefly.\n' });
      const { prRun } = await push(fork(sha), 'synchronize');
      expect(trainOutputs(prRun)['cache-hit']).toBe('true');
      const [comment, ...more] = reports(2);
      expect(more).toEqual([]);
      expect(comment!.id).toBe(forkComment);
      expect(reviewed(comment!.body)).toEqual(second);
      // The comment says which head it describes.
      expect(comment!.body).toContain(`<!-- mlops-report-head ${sha} -->`);
      expect(github.violations).toEqual([]);
    },
  );

  it(
    '5. a push that breaks training turns the comment ❌ at the train step, with no ✅ left',
    { timeout: STEP_TIMEOUT },
    async () => {
      const broken = yaml.original
        .replace('epochs: 60', 'epochs: 40')
        .replace(
          '    - { name: Sex, type: categorical }',
          '    - { name: Sex, type: categorical }\n    - { name: Wingspan (mm), type: numeric }',
        );
      const sha = await commit('Use the wingspan', { 'mlops.yaml': broken });
      const { prRun } = await push(fork(sha), 'synchronize');
      expect(prRun['pr / train']!.result).toBe('failure');
      const [comment, ...more] = reports(2);
      expect(more).toEqual([]);
      expect(comment!.id).toBe(forkComment);
      expect(comment!.body).toContain(
        '## ❌ `pr` failed: `pr / train` › `Run ./.mlops/pipeline/actions/train`',
      );
      expect(comment!.body).toContain(`[pr run #`);
      expect(comment!.body).toContain(runUrl(base, runs));
      for (const stale of ['✅', '### Metrics', '### Gates', 'gates passed', second.version])
        expect(comment!.body).not.toContain(stale);
      expect(github.violations).toEqual([]);
    },
  );

  it(
    '6. a second model is merged and deployed, production is rolled back, and the next pull request compares with the rolled-back model',
    { timeout: STEP_TIMEOUT * 2 },
    async () => {
      const fixed = await commit('Back to the measured columns', {
        'mlops.yaml': yaml.original.replace('epochs: 60', 'epochs: 40'),
      });
      await push(fork(fixed), 'synchronize');
      expect(reviewed(reports(2)[0]!.body)).toEqual(second);

      const mergeSha = await merge(fork(fixed), 'patch-1');
      const { deployed } = await deployMain(mergeSha);
      expect(deployed.summary).toContain(
        `the reviewed model: version \`${second.version}\`, weights sha256 \``,
      );
      expect(deployed.summary).toContain('pull request #2');
      expect(await vm.current()).toContain(`releases/${second.version}`);
      expect(shortSha(await liveWeights())).toBe(second.weights);
      expect((await records()).map((r) => [r.event, r.model_version, r.previous])).toEqual([
        ['release', second.version, first.version],
        ['release', first.version, null],
      ]);

      // A maintainer rolls production back from their own clone: the earlier model goes live
      // again with `mlops deploy`, then the registry's alias and the record follow, as
      // docs/production-record.md says. (The record alone would not change what the VM serves.)
      const maintainer = join(scratch, 'maintainer');
      await git(scratch, 'clone', '-q', origin, maintainer);
      const mlops = (...args: string[]) =>
        exec(process.execPath, [join(REPO_ROOT, 'bin', 'mlops.js'), ...args], {
          cwd: maintainer,
          env: { ...process.env, MLOPS_SSH_KEY: sshd.privateKey },
        });
      const earlier = join(scratch, 'rolled-back-model');
      await mlops('registry', 'fetch', first.version, '--to', earlier, '--registry', registry);
      await mlops(
        'deploy',
        '--host',
        `root@127.0.0.1:${sshd.port}`,
        '--host-key',
        sshd.knownHostsLine,
        '--server',
        STAND_IN_SERVER.dir,
        '--model',
        earlier,
        '--base',
        vm.base,
        '--service-command',
        vm.serviceCommand,
        '--ready-url',
        `http://127.0.0.1:${vm.servicePort}/readyz`,
        '--ready-timeout',
        '30',
      );
      const { stdout } = await mlops(
        'registry',
        'rollback',
        'production',
        '--record',
        '--push',
        '--registry',
        registry,
      );
      expect(stdout).toContain(`production: ${second.version} -> ${first.version} (rolled back)`);
      expect(await vm.current()).toContain(`releases/${first.version}`);
      expect(shortSha(await liveWeights())).toBe(first.weights);
      const history = await records();
      expect(history.map((r) => r.event)).toEqual(['rollback', 'release', 'release']);
      expect(history[0]).toMatchObject({
        model_version: first.version,
        weights_sha256: await liveWeights(),
        previous: second.version,
      });

      await git(work, 'checkout', '-q', '-b', 'notes', 'main');
      const sha = await commit('Note the rollback', { 'MODEL.md': 'Rolled back once.\n' });
      await push({ number: 3, sha, branch: 'notes', repo: base }, 'opened');
      const [comment, ...more] = reports(3);
      expect(more).toEqual([]);
      expect(comment!.body).toContain(
        `Compared with production \`${first.version}\` (weights \`${first.weights}\`), live since ${liveSince(history[0]!.at)} (rollback).`,
      );
      // The benchmark's baseline is the rolled-back model's too, kept from its release.
      expect(comment!.body).toMatch(SIZE_VS_BASELINE);
      expect(github.violations).toEqual([]);
    },
  );

  it(
    '7. with a GitHub App installation token, pushes still keep one comment',
    { timeout: STEP_TIMEOUT },
    async () => {
      await git(work, 'checkout', '-q', '-b', 'app', 'main');
      const heads = [
        await commit('More notes', { 'MODEL.md': 'Notes.\n' }),
        await commit('Even more notes', { 'MODEL.md': 'More notes.\n' }),
      ];
      const ids: number[] = [];
      for (const [i, sha] of heads.entries()) {
        await push(
          { number: 4, sha, branch: 'app', repo: base },
          i === 0 ? 'opened' : 'synchronize',
          APP_TOKEN,
        );
        expect(reports(4, APP)).toHaveLength(1);
        ids.push(reports(4, APP)[0]!.id);
      }
      expect(ids[1]).toBe(ids[0]);
      expect(github.comments(4)).toHaveLength(1);
      // The App's token may not ask who it is: GitHub answers 403, and the comment is found anyway.
      expect(github.requests.some((r) => r.operationId === 'users/get-authenticated')).toBe(true);
      expect(github.violations).toEqual([]);
    },
  );
});
