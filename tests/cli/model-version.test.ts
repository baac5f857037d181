/**
 * `mlops run` in a copy of the repository whose data loading is then changed:
 * the model version follows the code, so the changed copy retrains instead of
 * calling the old model up to date. The CLI runs as users run it, from its
 * bundle (bin/mlops.js), and from the sources (MLOPS_NO_BUNDLE=1), which must
 * agree on the version.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO, tempProject, type CliResult, type TempProject } from '../helpers/project.js';

let copy: TempProject;

beforeAll(async () => {
  copy = await tempProject([
    'bin',
    'pipeline',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'mlops.yaml',
    'data.dvc',
    'data',
  ]);
  // The installed packages, linked; the copy's CLI bundle cache stays its own.
  await mkdir(copy.path('node_modules'));
  for (const entry of await readdir(join(REPO, 'node_modules')))
    if (entry !== '.cache')
      await symlink(join(REPO, 'node_modules', entry), copy.path(join('node_modules', entry)));
});
afterAll(() => copy?.remove());

function mlops(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete childEnv['CI'];
    if (!env['MLOPS_NO_BUNDLE']) delete childEnv['MLOPS_NO_BUNDLE'];
    const child = spawn(process.execPath, [copy.path('bin/mlops.js'), ...args], {
      cwd: copy.dir,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const versionIn = (r: CliResult) => /model ([0-9a-f]{12}) in artifacts\/model/.exec(r.stderr)?.[1];

it('retrains after pipeline/data/load.ts changes, from the bundle and from the sources', async () => {
  const first = await mlops(['run']);
  expect(first.stderr).toContain('training mlp on');
  expect(first.code).toBe(0);
  const version = versionIn(first);
  expect(version).toBeDefined();

  const fromSources = await mlops(['run'], { MLOPS_NO_BUNDLE: '1' });
  expect(fromSources.code).toBe(0);
  expect(fromSources.stderr).toContain(`model ${version} is up to date`);
  expect(fromSources.stderr).toContain('training skipped');

  await appendFile(copy.path('pipeline/data/load.ts'), '\n// how data is loaded changed\n');
  const changed = await mlops(['run']);
  expect(changed.code).toBe(0);
  expect(changed.stderr).not.toContain('training skipped');
  expect(changed.stderr).toContain('training mlp on');
  expect(versionIn(changed)).not.toBe(version);

  const again = await mlops(['run'], { MLOPS_NO_BUNDLE: '1' });
  expect(again.stderr).toContain(`model ${versionIn(changed)} is up to date`);
});
