/**
 * Each job's GITHUB_TOKEN is granted what its steps need and nothing more. The
 * need is derived from the steps of the YAML GitHub reads, through the table in
 * workflows/steps.ts; a grant above or below it fails here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_DIR } from '../../workflows/generate.js';
import {
  action,
  checkout,
  download,
  job,
  neededPermissions,
  setupNode,
  stepNeeds,
  upload,
} from '../../workflows/steps.js';
import type { Permission, Step, Workflow } from '../../workflows/types.js';

const LEVEL: Record<Permission, number> = { none: 0, read: 1, write: 2 };

/** What is wrong with the token each job of `wf` gets: empty when every grant is exactly what its steps need. */
function permissionProblems(file: string, wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, j] of Object.entries(wf.jobs)) {
    const where = `${file} ${name}`;
    // A job without permissions of its own gets the workflow's, and without those the repository's default.
    const granted: unknown = j.permissions ?? wf.permissions;
    if (granted === undefined || granted === null || typeof granted !== 'object') {
      problems.push(`${where}: grants ${String(granted ?? "the repository's default")}`);
      continue;
    }
    const grants = granted as Record<string, Permission>;
    const needed = neededPermissions(j.steps) as Record<string, Permission>;
    for (const scope of new Set([...Object.keys(grants), ...Object.keys(needed)])) {
      const has = grants[scope] ?? 'none';
      const needs = needed[scope] ?? 'none';
      const by = (s: Step) => (stepNeeds(s) as Record<string, Permission>)[scope] === needs;
      if (LEVEL[has] < LEVEL[needs])
        problems.push(
          `${where}: ${j.steps
            .filter(by)
            .map((s) => s.uses ?? s.name)
            .join(', ')} needs ${scope}: ${needs}, the job grants ${has}`,
        );
      if (LEVEL[has] > LEVEL[needs])
        problems.push(`${where}: grants ${scope}: ${has}, no step needs more than ${needs}`);
    }
  }
  return problems;
}

async function generated(): Promise<Record<string, Workflow>> {
  const files = (await readdir(WORKFLOW_DIR)).filter((f) => f.endsWith('.yml'));
  return Object.fromEntries(
    await Promise.all(
      files.map(
        async (f) => [f, parse(await readFile(join(WORKFLOW_DIR, f), 'utf8')) as Workflow] as const,
      ),
    ),
  );
}

describe('token permissions', () => {
  it('are what GitHub documents for each step', () => {
    // Cloning a private repository needs contents read ("Repository not found" without it).
    expect(stepNeeds(checkout)).toEqual({ contents: 'read' });
    expect(stepNeeds(setupNode)).toEqual({});
    expect(stepNeeds(upload('a', ['x']))).toEqual({});
    expect(stepNeeds({ uses: 'actions/cache@v5', with: { path: 'x', key: 'k' } })).toEqual({});
    // This run's artifacts come with the runner's token; another run's through the API.
    expect(stepNeeds(download('a'))).toEqual({});
    expect(stepNeeds(download('a', '.', { with: { 'run-id': '1', 'github-token': 't' } }))).toEqual(
      {
        actions: 'read',
      },
    );
    // Pull request comments are issue comments, granted by pull-requests write; the run's jobs need actions read.
    expect(stepNeeds(action('report'))).toEqual({ actions: 'read', 'pull-requests': 'write' });
    for (const name of ['train', 'validate-threshold', 'benchmark', 'lint', 'test'] as const)
      expect(stepNeeds(action(name)), name).toEqual({});
    expect(stepNeeds({ run: 'npm ci' })).toEqual({});
  });

  it('every job of every workflow is granted exactly what its steps need', async () => {
    const all = await generated();
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(4);
    for (const [file, wf] of Object.entries(all)) expect(permissionProblems(file, wf)).toEqual([]);
  });

  it('the comment job can clone a private repository, read the run and write the comment', async () => {
    const wf = (await generated())['pr-comment.yml']!;
    expect(wf.jobs['comment']!.permissions).toEqual({
      actions: 'read',
      contents: 'read',
      'pull-requests': 'write',
    });
  });

  it('a workflow granting less than its steps need fails the check', async () => {
    const wf = (await generated())['pr-comment.yml']!;
    delete wf.jobs['comment']!.permissions!.contents;
    expect(permissionProblems('pr-comment.yml', wf)).toEqual([
      'pr-comment.yml comment: actions/checkout@v7 needs contents: read, the job grants none',
    ]);
    wf.jobs['comment']!.permissions!['pull-requests'] = 'read';
    expect(permissionProblems('pr-comment.yml', wf)).toContain(
      'pr-comment.yml comment: ./actions/report needs pull-requests: write, the job grants read',
    );
  });

  it('a workflow granting more than its steps need fails the check', async () => {
    const wf = (await generated())['pr.yml']!;
    wf.jobs['train']!.permissions = { ...wf.jobs['train']!.permissions, issues: 'write' };
    expect(permissionProblems('pr.yml', wf)).toEqual([
      'pr.yml train: grants issues: write, no step needs more than none',
    ]);
  });

  it("a job left to the repository's default token fails the check", async () => {
    const wf = (await generated())['retrain.yml']!;
    delete wf.jobs['retrain']!.permissions;
    delete (wf as Partial<Workflow>).permissions;
    expect(permissionProblems('retrain.yml', wf)).toEqual([
      "retrain.yml retrain: grants the repository's default",
    ]);
    (wf as { permissions: unknown }).permissions = 'write-all';
    expect(permissionProblems('retrain.yml', wf)).toEqual([
      'retrain.yml retrain: grants write-all',
    ]);
  });

  it("a job's grant follows its steps: adding the report step adds what it needs", () => {
    const before = job({ 'runs-on': 'ubuntu-latest', steps: [checkout] });
    expect(before.permissions).toEqual({ contents: 'read' });
    const after = job({ 'runs-on': 'ubuntu-latest', steps: [checkout, action('report')] });
    expect(after.permissions).toEqual({
      actions: 'read',
      contents: 'read',
      'pull-requests': 'write',
    });
  });

  it('a step whose needs nobody wrote down cannot be placed in a job', () => {
    expect(() => neededPermissions([{ uses: 'someone/comment-action@v1' }])).toThrow(
      /someone\/comment-action@v1: its token permissions are unknown/,
    );
    expect(() =>
      neededPermissions([{ run: 'gh pr comment', env: { GH_TOKEN: '${{ github.token }}' } }]),
    ).toThrow(/is handed the token/);
  });
});
