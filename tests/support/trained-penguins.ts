/**
 * A real model for the registry and serving tests: the bundled penguins
 * pipeline, trained in a temporary copy of the repository's config and data so
 * nothing is written into the working tree.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../pipeline/run/run.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export interface TrainedModel {
  /** The temporary project folder (mlops.yaml, data, artifacts/, reports/). */
  root: string;
  /** artifacts/model inside it. */
  modelDir: string;
  version: string;
  cleanup(): Promise<void>;
}

/** Train penguins with `overrides` (e.g. a different seed gives another version). */
export async function trainPenguins(overrides: string[] = []): Promise<TrainedModel> {
  const root = await mkdtemp(join(tmpdir(), 'mlops-model-'));
  await cp(join(repo, 'mlops.yaml'), join(root, 'mlops.yaml'));
  await cp(join(repo, 'data.dvc'), join(root, 'data.dvc'));
  await cp(join(repo, 'data'), join(root, 'data'), { recursive: true });
  const { result, context } = await runPipeline({
    config: join(root, 'mlops.yaml'),
    overrides: ['model.epochs=15', ...overrides],
    backend: 'cpu',
  });
  return {
    root,
    modelDir: context.paths.model,
    version: result.model_version,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
