/** Real model bundles trained by the pipeline on the project's penguins data, for releases. */
import { copyFile, cp, mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openRun } from '../../../pipeline/run/context.js';
import { trainStage } from '../../../pipeline/run/train-stage.js';

const root = resolve(import.meta.dirname, '../../..');

/** Train one model per override list (a few epochs: the deploy does not care how good it is). */
export async function trainModels(dir: string, variants: string[][]): Promise<string[]> {
  const project = join(dir, 'project');
  await mkdir(project, { recursive: true });
  await copyFile(join(root, 'mlops.yaml'), join(project, 'mlops.yaml'));
  await copyFile(join(root, 'data.dvc'), join(project, 'data.dvc'));
  await symlink(join(root, 'data'), join(project, 'data'));
  const models: string[] = [];
  for (const [index, overrides] of variants.entries()) {
    const ctx = await openRun(join(project, 'mlops.yaml'), overrides);
    await trainStage(ctx, { force: true, backend: 'cpu' });
    const model = join(dir, `model-${index}`);
    await cp(ctx.paths.model, model, { recursive: true });
    models.push(model);
  }
  return models;
}

/** A copy of a model whose weights file lost its second half, as a broken upload would. */
export async function truncatedCopy(model: string, dest: string): Promise<string> {
  await cp(model, dest, { recursive: true });
  const weights = join(dest, 'weights.bin');
  const size = (await readFile(weights)).length;
  await truncate(weights, Math.floor(size / 2));
  return dest;
}

/**
 * A copy of a model whose every weight is NaN: its folder is whole, so it is
 * released, but the server refuses to load it (and keeps the old model serving).
 */
export async function corruptCopy(model: string, dest: string): Promise<string> {
  await cp(model, dest, { recursive: true });
  const weights = join(dest, 'weights.bin');
  const size = (await readFile(weights)).length;
  await writeFile(weights, new Uint8Array(new Float32Array(size / 4).fill(NaN).buffer));
  return dest;
}

export async function modelVersionOf(model: string): Promise<string> {
  return (
    JSON.parse(await readFile(join(model, 'metadata.json'), 'utf8')) as { model_version: string }
  ).model_version;
}
