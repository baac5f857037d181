/**
 * examples/adopter: a repository adopting the pipeline with four short workflow
 * files that call the reusable workflows at `@v1`. They pass actionlint, stay
 * under 40 lines, call workflows that exist with inputs and secrets those
 * declare (every required one passed) and grant exactly what the called jobs
 * are granted; its mlops.yaml validates and its data.dvc names its data.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { readPointer } from '../../pipeline/data/dvc/pointer.js';
import { WORKFLOW_DIR } from '../../workflows/generate.js';
import { reusableWorkflows } from '../../workflows/index.js';
import { MLOPS_MAJOR, MLOPS_REPOSITORY } from '../../workflows/steps.js';
import type { CallJob, Workflow } from '../../workflows/types.js';
import { actionlint, calledFile, generated, permissionProblems } from './helpers.js';

const ADOPTER = join(WORKFLOW_DIR, '..', '..', 'examples', 'adopter');
const ADOPTER_WORKFLOWS = join(ADOPTER, '.github', 'workflows');

async function adopterWorkflows(): Promise<Record<string, { text: string; wf: Workflow }>> {
  const files = (await readdir(ADOPTER_WORKFLOWS)).filter((f) => f.endsWith('.yml')).sort();
  return Object.fromEntries(
    await Promise.all(
      files.map(async (f) => {
        const text = await readFile(join(ADOPTER_WORKFLOWS, f), 'utf8');
        return [f, { text, wf: parse(text) as Workflow }] as const;
      }),
    ),
  );
}

/** What is wrong with how a caller's job calls a reusable workflow: empty when nothing is. */
function callProblems(where: string, job: CallJob, called: Workflow): string[] {
  const problems: string[] = [];
  const call = called.on.workflow_call ?? {};
  const inputs = call.inputs ?? {};
  const secrets = call.secrets ?? {};
  for (const key of Object.keys(job.with ?? {}))
    if (!(key in inputs)) problems.push(`${where}: passes input ${key}, which it does not declare`);
  for (const [key, input] of Object.entries(inputs))
    if (input.required && input.default === undefined && !(key in (job.with ?? {})))
      problems.push(`${where}: does not pass the required input ${key}`);
  if (job.secrets !== 'inherit') {
    for (const key of Object.keys(job.secrets ?? {}))
      if (!(key in secrets))
        problems.push(`${where}: passes secret ${key}, which it does not declare`);
    for (const [key, secret] of Object.entries(secrets))
      if (secret.required && !(key in (job.secrets ?? {})))
        problems.push(`${where}: does not pass the required secret ${key}`);
  }
  return problems;
}

describe('the adopter example', () => {
  it('has the five workflows, each under 40 lines', async () => {
    const all = await adopterWorkflows();
    expect(Object.keys(all)).toEqual([
      'data-refresh.yml',
      'deploy.yml',
      'pr-comment.yml',
      'pr.yml',
      'retrain.yml',
    ]);
    for (const [file, { text }] of Object.entries(all))
      expect(text.trimEnd().split('\n').length, file).toBeLessThan(40);
  });

  it('its workflows and every generated one pass actionlint', async () => {
    for (const [file, { text }] of Object.entries(await adopterWorkflows()))
      expect(await actionlint(text, `.github/workflows/${file}`), file).toEqual([]);
    for (const file of await readdir(WORKFLOW_DIR))
      expect(
        await actionlint(await readFile(join(WORKFLOW_DIR, file), 'utf8'), file),
        file,
      ).toEqual([]);
  });

  it(`each calls a reusable workflow of ${MLOPS_REPOSITORY} at @${MLOPS_MAJOR}, with what it declares and requires`, async () => {
    const generatedFiles = await generated();
    for (const [file, { wf }] of Object.entries(await adopterWorkflows())) {
      const calls = Object.entries(wf.jobs);
      expect(calls.length, file).toBeGreaterThan(0);
      for (const [id, job] of calls) {
        const where = `${file} ${id}`;
        expect('uses' in job, where).toBe(true);
        const call = job as CallJob;
        expect(call.uses, where).toMatch(
          new RegExp(
            `^${MLOPS_REPOSITORY}/\\.github/workflows/mlops-[a-z-]+\\.yml@${MLOPS_MAJOR}$`,
          ),
        );
        const target = calledFile(call.uses);
        expect(Object.keys(reusableWorkflows), where).toContain(target);
        expect(callProblems(where, call, generatedFiles[target]!), where).toEqual([]);
      }
      // What the called jobs are granted, no more and no less: GitHub caps them at the caller's.
      expect(permissionProblems(file, wf, generatedFiles), file).toEqual([]);
    }
  });

  it('the call check finds an undeclared input, a missing required one and an undeclared secret', async () => {
    const all = await generated();
    const call: CallJob = {
      uses: `${MLOPS_REPOSITORY}/.github/workflows/mlops-comment.yml@v1`,
      permissions: {},
      with: { 'run-idd': '1' },
      secrets: { DEPLOY_HOST: 'x' },
    };
    expect(callProblems('x', call, all['mlops-comment.yml']!)).toEqual([
      'x: passes input run-idd, which it does not declare',
      'x: does not pass the required input run-id',
      'x: passes secret DEPLOY_HOST, which it does not declare',
    ]);
  });

  it('pr-comment.yml waits for the workflow pr.yml names', async () => {
    const all = await adopterWorkflows();
    expect(all['pr-comment.yml']!.wf.on.workflow_run!.workflows).toEqual([all['pr.yml']!.wf.name]);
  });

  it('its mlops.yaml validates and its data.dvc names the data beside it', async () => {
    const loaded = await loadConfig(join(ADOPTER, 'mlops.yaml'));
    expect(loaded.config.data.pointer).toBe('data.dvc');
    const pointer = await readPointer(join(ADOPTER, loaded.config.data.pointer));
    const out = pointer.out;
    const bytes = await readFile(pointer.dataPath);
    expect(createHash('md5').update(bytes).digest('hex')).toBe(out.md5);
    expect(bytes.length).toBe(out.size);
  });
});
