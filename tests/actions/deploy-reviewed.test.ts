/**
 * Reviewed equals deployed, as deploy-vm runs it on a merge to main: the pull
 * request's report comment (posted by the report action after its pr.yml run)
 * names the model's version and weights sha256; deploy-vm finds the pull request
 * merged as the commit on the GitHub API stand-in, matches the model about to
 * go live with it before connecting to the real sshd, and records the release
 * on refs/mlops/production in a bare git origin.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDigest, type ModelDigest } from '../../pipeline/model/digest.js';
import { shortSha } from '../../pipeline/util/hash.js';
import { readMetadata } from '../../pipeline/model/files.js';
import { MetricsFileSchema } from '../../pipeline/report/metrics-file.js';
import { reportStage } from '../../pipeline/run/report-stage.js';
import { freePort, startSshd, type Sshd } from '../deploy/helpers/sshd.js';
import { createVm, STAND_IN_SERVER, type Vm } from '../deploy/helpers/vm.js';
import { baseRepository, pushEvent, workflowRunEvent, writeEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runAction, type ActionRun } from './helpers/run-action.js';

const exec = promisify(execFile);
const TOKEN = 'ghs_deploy_job';
const BOT = 'github-actions[bot]';
const sha = (digit: string) => digit.repeat(40);

let workspace: string;
let scratch: string;
let origin: string;
let sshd: Sshd;
let github: GitHubServer;
let base: string;
let main: ModelDigest;
let changed: ModelDigest;
const vms: Vm[] = [];

const git = (cwd: string, ...args: string[]) =>
  exec('git', args, { cwd }).then(({ stdout }) => stdout.trim());

async function train(set = ''): Promise<void> {
  const run = await runAction('train', { workspace, inputs: { cache: 'false', set } });
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

/** The report pr.yml's run would upload for `model`, posted by the report action as its workflow_run's comment. */
async function review(number: number, head: string, model: string, metrics: string) {
  const report = join(scratch, `report-${number}.md`);
  const result = MetricsFileSchema.parse(JSON.parse(await readFile(metrics, 'utf8')));
  await reportStage({ paths: { metrics, model, report } }, result, await readMetadata(model));
  const pull = { number, headRef: `change-${number}`, headSha: head, headRepo: base };
  github.addPull(pull);
  const events = await mkdtemp(join(scratch, 'event-'));
  const event = workflowRunEvent(
    String(7000 + number),
    { ...pull, sha: head, branch: pull.headRef, repo: base },
    'success',
  );
  const run = await runAction('report', {
    workspace,
    inputs: { 'github-token': TOKEN, report },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: base,
      GITHUB_EVENT_NAME: 'workflow_run',
      GITHUB_EVENT_PATH: await writeEvent(events, event),
    },
  });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return pull;
}

async function merge(
  number: number,
  head: string,
  model: string,
  metrics: string,
  mergeSha: string,
) {
  const pull = await review(number, head, model, metrics);
  github.addPull({ ...pull, state: 'closed', mergeCommitSha: mergeSha });
}

async function deploy(
  vm: Vm,
  commit: string,
  inputs: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction('deploy-vm', {
    workspace,
    inputs: {
      host: '127.0.0.1',
      port: String(sshd.port),
      user: 'root',
      'ssh-private-key': sshd.privateKey,
      'host-key': sshd.knownHostsLine,
      server: STAND_IN_SERVER.dir,
      base: vm.base,
      'service-command': vm.serviceCommand,
      'ready-port': String(vm.servicePort),
      'ready-timeout': '30',
      'github-token': TOKEN,
      ...inputs,
    },
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_REPOSITORY: base,
      GITHUB_SHA: commit,
      GITHUB_RUN_ID: '4242',
    },
  });
}

async function newVm(): Promise<Vm> {
  const vm = await createVm();
  vms.push(vm);
  return vm;
}

/** The records on origin's refs/mlops/production, newest first. */
async function records(): Promise<
  { model_version: string; weights_sha256: string; commit: string; event: string }[]
> {
  const log = await git(origin, 'log', '--format=%H', 'refs/mlops/production').catch(() => '');
  return Promise.all(
    log
      .split('\n')
      .filter(Boolean)
      .map(async (id) => JSON.parse(await git(origin, 'show', `${id}:record.json`)) as never),
  );
}

const errorOf = (run: ActionRun) =>
  run.annotations.find((a) => a.level === 'error')?.message ?? run.stderr;

beforeAll(async () => {
  workspace = await makeRepository({ '.gitignore': 'node_modules\nartifacts/\nreports/\n' });
  scratch = await mkdtemp(join(tmpdir(), 'mlops-reviewed-'));
  origin = join(scratch, 'origin.git');
  await git(scratch, 'init', '-q', '--bare', origin);
  await git(workspace, 'init', '-q', '-b', 'main');
  await git(workspace, 'add', '.');
  await git(
    workspace,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.org',
    'commit',
    '-q',
    '-m',
    'init',
  );
  await git(workspace, 'remote', 'add', 'origin', origin);
  await git(workspace, 'push', '-q', 'origin', 'main');
  base = baseRepository(pushEvent(sha('0')));
  github = await startGitHubServer({
    repo: base,
    tokens: { [TOKEN]: { login: null, actor: BOT, pullRequestsWrite: true } },
  });
  sshd = await startSshd();
  // The pull request's head trained with other inputs (a changed split seed): another model version.
  await train('split.seed=7');
  await cp(join(workspace, 'artifacts', 'model'), join(scratch, 'changed-model'), {
    recursive: true,
  });
  await cp(join(workspace, 'reports', 'metrics.json'), join(scratch, 'changed-metrics.json'));
  changed = await modelDigest(join(scratch, 'changed-model'));
  await train();
  main = await modelDigest(join(workspace, 'artifacts', 'model'));
  expect(changed.model_version).not.toBe(main.model_version);
}, 300_000);

afterAll(async () => {
  await Promise.all(vms.map((vm) => vm.stop()));
  await sshd?.stop();
  await github?.close();
  for (const dir of [workspace, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deploy-vm deploys the reviewed model', () => {
  let vm: Vm;

  it('deploys the model the merged pull request reviewed, and records it on refs/mlops/production', async () => {
    vm = await newVm();
    const metrics = join(workspace, 'reports', 'metrics.json');
    await merge(1, sha('a'), join(workspace, 'artifacts', 'model'), metrics, sha('1'));
    const comment = github.comments(1)[0]!.body;
    expect(comment).toContain(
      `Model \`${main.model_version}\` · weights sha256 \`${shortSha(main.weights_sha256)}\``,
    );

    const run = await deploy(vm, sha('1'));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['deployed']).toBe('true');
    expect(run.summary).toContain(
      `the reviewed model: version \`${main.model_version}\`, weights sha256 \`${main.weights_sha256}\``,
    );
    expect(run.summary).toContain('pull request #1');
    expect(await vm.current()).toContain(`releases/${main.model_version}`);
    const [record, ...older] = await records();
    expect(older).toEqual([]);
    expect(record).toMatchObject({
      event: 'release',
      model_version: main.model_version,
      weights_sha256: main.weights_sha256,
      commit: sha('1'),
    });
    expect(github.violations).toEqual([]);
  });

  it('stops before connecting when the weights differ from the reviewed ones by one byte', async () => {
    const tampered = join(scratch, 'tampered-model');
    await cp(join(workspace, 'artifacts', 'model'), tampered, { recursive: true });
    const weights = await readFile(join(tampered, 'weights.bin'));
    weights[weights.length >> 1]! ^= 1;
    await writeFile(join(tampered, 'weights.bin'), weights);
    const forged = await modelDigest(tampered);
    const before = { releases: await vm.releases(), current: await vm.current() };

    const run = await deploy(vm, sha('1'), { model: tampered });
    expect(run.code).toBe(1);
    expect(errorOf(run)).toContain(
      `model ${main.model_version}: weights sha256 ${shortSha(forged.weights_sha256)} differ from the reviewed ${shortSha(main.weights_sha256)} (pull request #1)`,
    );
    expect(run.outputs['deployed']).toBeUndefined();
    expect({ releases: await vm.releases(), current: await vm.current() }).toEqual(before);
    expect(await records()).toHaveLength(1);
  });

  it('deploys the model trained on main when main moved, and says so in the summary and on the pull request', async () => {
    await merge(
      2,
      sha('b'),
      join(scratch, 'changed-model'),
      join(scratch, 'changed-metrics.json'),
      sha('2'),
    );
    const run = await deploy(vm, sha('2'));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.summary).toContain(`Deployed model version \`${main.model_version}\``);
    expect(run.summary).toContain(
      `instead of the reviewed model version \`${changed.model_version}\``,
    );
    const told = github.comments(2).find((c) => c.body.startsWith('<!-- mlops-deploy -->'));
    expect(told?.body).toContain(
      `\`${main.model_version}\` instead of the reviewed \`${changed.model_version}\``,
    );
    expect(told?.body).toMatch(/main moved/);
    expect(github.comments(2)).toHaveLength(2);
    expect((await records()).map((r) => r.commit)).toEqual([sha('2'), sha('1')]);
    expect(github.violations).toEqual([]);
  });

  it('checks the review on a dry run too, and writes nothing', async () => {
    const comments = github.comments(2).length;
    const run = await deploy(vm, sha('2'), { 'dry-run': 'true' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['deployed']).toBe('false');
    expect(run.summary).toContain(
      `instead of the reviewed model version \`${changed.model_version}\``,
    );
    expect(github.comments(2)).toHaveLength(comments);
    expect(await records()).toHaveLength(2);
    const refused = await deploy(vm, sha('3'), { 'dry-run': 'true' });
    expect(refused.code).toBe(1);
  });

  it('refuses a commit no pull request was merged as, unless require-review is false', async () => {
    const fresh = await newVm();
    const refused = await deploy(fresh, sha('3'));
    expect(refused.code).toBe(1);
    expect(errorOf(refused)).toMatch(/commit 333333333333 is not the merge of a pull request/);
    expect(errorOf(refused)).toMatch(/require-review: false/);
    expect(await fresh.releases()).toEqual([]);
    expect(await records()).toHaveLength(2);

    // Readiness checked from outside, at the server's own port.
    const allowed = await deploy(fresh, sha('3'), {
      'require-review': 'false',
      'smoke-url': `http://127.0.0.1:${fresh.servicePort}`,
    });
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(allowed.summary).toMatch(/without a review \(require-review is false\)/);
    expect(await fresh.current()).toContain(`releases/${main.model_version}`);
    expect(await records()).toHaveLength(3);
  });

  it('rolls back a release the smoke URL does not show ready, and records nothing', async () => {
    const fresh = await newVm();
    const run = await deploy(fresh, sha('3'), {
      'require-review': 'false',
      'smoke-url': `http://127.0.0.1:${await freePort()}`,
      'ready-timeout': '3',
    });
    expect(run.code).not.toBe(0);
    expect(errorOf(run)).toMatch(/did not become ready/);
    expect(await fresh.current()).toBeNull();
    expect(await records()).toHaveLength(3);
  });
});
