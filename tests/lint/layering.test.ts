/**
 * The import directions of .dependency-cruiser.cjs hold for the tree as it is,
 * and the rules do catch a backward import: dependency-cruiser runs as
 * `npm run lint` runs it, on the repository and on a copy with one bad import
 * added (the copy, so the working tree other checks read is never touched).
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../actions/helpers/run-action.js';

const DEPCRUISE = join(
  REPO_ROOT,
  'node_modules',
  'dependency-cruiser',
  'bin',
  'dependency-cruise.mjs',
);

/** What `npm run lint` cruises: the library, every action's sources and the workflows. */
async function targets(root: string): Promise<string[]> {
  const actions = await readdir(join(root, 'actions'), { withFileTypes: true });
  const sources = actions
    .filter((a) => a.isDirectory() && a.name !== 'vendor')
    .map((a) => `actions/${a.name}/src`);
  return ['pipeline', ...sources, 'workflows'];
}

function depcruise(root: string, files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEPCRUISE, ...files, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const temp: string[] = [];
afterAll(async () => {
  for (const dir of temp) await rm(dir, { recursive: true, force: true });
});

/** The tree dependency-cruiser reads, copied, with node_modules linked for resolution. */
async function copyTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-layering-'));
  temp.push(dir);
  for (const path of ['pipeline', 'workflows', 'tsconfig.json', '.dependency-cruiser.cjs'])
    await cp(join(REPO_ROOT, path), join(dir, path), { recursive: true });
  for (const source of await targets(REPO_ROOT))
    if (source.startsWith('actions/'))
      await cp(join(REPO_ROOT, source), join(dir, source), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('layering', () => {
  it('the repository imports only downward', async () => {
    const { code, output } = await depcruise(REPO_ROOT, await targets(REPO_ROOT));
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 120_000);

  it('a backward import fails: config reaching train, model reaching train to predict', async () => {
    const dir = await copyTree();
    await writeFile(
      join(dir, 'pipeline', 'config', 'x.ts'),
      "import { train } from '../train/train.js';\nexport const x = train;\n",
    );
    await writeFile(
      join(dir, 'pipeline', 'model', 'y.ts'),
      "import { fitNetwork } from '../train/fit.js';\nexport const y = fitNetwork;\n",
    );
    const { code, output } = await depcruise(dir, await targets(dir));
    expect(code).not.toBe(0);
    expect(output).toContain('layer-config: pipeline/config/x.ts → pipeline/train/train.ts');
    expect(output).toContain('layer-model: pipeline/model/y.ts → pipeline/train/fit.ts');
  }, 120_000);
});
