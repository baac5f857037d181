/**
 * The committed bundles are what the sources build to: each action is rebuilt
 * into a temporary folder and compared byte for byte, and the vendored native
 * files (DuckDB's binding, esbuild's binary) match the installed ones. A stale bundle fails here, not on a runner.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  actionNames,
  buildAction,
  vendoredManifestPath,
  vendoredNames,
  vendoredSources,
} from '../../scripts/build-actions.js';
import { REPO_ROOT } from './helpers/run-action.js';

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ACTIONS = [
  'benchmark',
  'deploy-vm',
  'lint',
  'propose',
  'report',
  'test',
  'train',
  'validate-threshold',
];

describe('action bundles', () => {
  const temp: string[] = [];
  afterAll(async () => {
    for (const dir of temp) await rm(dir, { recursive: true, force: true });
  });

  it('every action has an action.yml that runs its bundle on node24', async () => {
    expect(await actionNames()).toEqual(ACTIONS);
    for (const name of ACTIONS) {
      const meta = parse(
        await readFile(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8'),
      ) as {
        runs: { using: string; main: string };
      };
      expect(meta.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      expect(existsSync(join(REPO_ROOT, 'actions', name, 'dist', 'index.js')), name).toBe(true);
    }
  });

  it.each(ACTIONS)(
    'actions/%s/dist is fresh (run `npm run build:actions` if not)',
    async (name) => {
      const out = await mkdtemp(join(tmpdir(), `mlops-build-${name}-`));
      temp.push(out);
      const files = await buildAction(name, out);
      const committed = (await readdir(join(REPO_ROOT, 'actions', name, 'dist'))).sort();
      expect(committed).toEqual([...files].sort());
      for (const file of files) {
        const fresh = sha(await readFile(join(out, file)));
        const current = sha(await readFile(join(REPO_ROOT, 'actions', name, 'dist', file)));
        expect(current, `actions/${name}/dist/${file}`).toBe(fresh);
      }
    },
  );

  it.each(vendoredNames)('the vendored %s is the installed one', async (name) => {
    const manifest = JSON.parse(await readFile(vendoredManifestPath(name), 'utf8')) as {
      files: Record<string, { sha256: string; compressed: string }>;
    };
    const installed = await vendoredSources(name);
    expect(Object.keys(manifest.files).sort()).toEqual(Object.keys(installed.files).sort());
    for (const [file, entry] of Object.entries(manifest.files)) {
      expect(sha(await readFile(installed.files[file]!)), file).toBe(entry.sha256);
      expect(existsSync(join(dirname(vendoredManifestPath(name)), entry.compressed))).toBe(true);
    }
  });
});
