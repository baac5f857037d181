import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainedPipeline, type TrainedPipeline } from './fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MLOPS = join(ROOT, 'bin', 'mlops.js');
const exec = promisify(execFile);

// A bundle of its own (other test files run the shared one at the same time),
// inside node_modules so that it resolves the packages it leaves external.
let cacheDir: string;
let STAMP: string;
let pipeline: TrainedPipeline;
beforeAll(async () => {
  cacheDir = await mkdtemp(join(ROOT, 'node_modules', '.cache', 'mlops-test-'));
  STAMP = join(cacheDir, 'mlops.stamp');
  pipeline = await trainedPipeline();
});
afterAll(async () => {
  await pipeline?.cleanup();
  await rm(cacheDir, { recursive: true, force: true });
});

async function modelVersion(env: NodeJS.ProcessEnv): Promise<string> {
  await exec(process.execPath, [MLOPS, 'run', '-q', '--force', '-c', pipeline.config], { env });
  const metrics = JSON.parse(await readFile(join(pipeline.dir, 'reports', 'metrics.json'), 'utf8'));
  return (metrics as { model_version: string }).model_version;
}

describe('the mlops command', () => {
  it('computes the same model version from its bundle as from the TypeScript sources', async () => {
    const fromSources = await modelVersion({ ...process.env, MLOPS_NO_BUNDLE: '1' });
    const fromBundle = await modelVersion({ ...process.env, MLOPS_CACHE_DIR: cacheDir });
    expect(fromBundle).toBe(fromSources);
    const stamp = JSON.parse(await readFile(STAMP, 'utf8')) as { inputs: string[] };
    expect(stamp.inputs).toContain(join(ROOT, 'pipeline', 'cli', 'main.ts'));
  });

  it('rebuilds its bundle when the files it was built from have changed', async () => {
    await writeFile(STAMP, JSON.stringify({ inputs: [], stamp: 'from another checkout' }));
    const { stdout } = await exec(process.execPath, [MLOPS, '--help'], {
      env: { ...process.env, MLOPS_CACHE_DIR: cacheDir },
    });
    expect(stdout).toContain('Usage: mlops');
    const stamp = JSON.parse(await readFile(STAMP, 'utf8')) as { inputs: string[] };
    expect(stamp.inputs.length).toBeGreaterThan(10);
  });
});
