/**
 * The engine that computes the gradients is part of the model version: the
 * dense engine's WebAssembly SIMD and JavaScript kernels round differently, so
 * a pull request and a deploy that train on different ones must never hold
 * different weights under one version (the deploy's reviewed-weights check).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { penguinsProject, type TempProject } from '../helpers/project.js';
import { runMlopsWith } from '../support/cli.js';

const versionIn = (output: string) => /model ([0-9a-f]{12}) in artifacts\/model/.exec(output)?.[1];

describe('the model version pins the engine', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await penguinsProject();
  });
  afterAll(() => project?.remove());

  const train = (env: Record<string, string>) =>
    runMlopsWith(env, project.dir, 'train', '--set', 'model.epochs=2');
  const lineage = () =>
    project
      .readJson<{ lineage: { trainer: string; kernel: string } }>('artifacts/model/metadata.json')
      .then((m) => m.lineage);

  it('gives the JavaScript kernel another version than WebAssembly SIMD, and says which trained', async () => {
    const simd = await train({});
    expect(simd.code, simd.output).toBe(0);
    expect(await lineage()).toMatchObject({ trainer: 'dense', kernel: 'wasm-simd' });
    const simdVersion = versionIn(simd.output);
    expect(simdVersion).toBeDefined();

    const js = await train({ MLOPS_DENSE_KERNEL: 'js' });
    expect(js.code, js.output).toBe(0);
    // Not "up to date": the saved model was trained by another engine.
    expect(js.output).not.toContain('training skipped');
    expect(await lineage()).toMatchObject({ trainer: 'dense', kernel: 'js' });
    expect(versionIn(js.output)).not.toBe(simdVersion);

    const again = await train({});
    expect(versionIn(again.output)).toBe(simdVersion);
  });

  it('refuses a kernel it does not know with exit 2', async () => {
    const result = await train({ MLOPS_DENSE_KERNEL: 'gpu' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('MLOPS_DENSE_KERNEL: expected one of wasm-simd, js, got "gpu"');
  });
});
