/** The saved model the later stages score, measure and serve: the one this config, data and code give. */
import { relative } from 'node:path';
import { PipelineError } from '../errors.js';
import { loadBundle, type ModelBundle } from '../model/load.js';
import { initBackend, type BackendName } from '../train/backend.js';
import type { RunContext } from './context.js';

/** Load the saved model and check it was trained on this config, data and code. */
export async function loadCurrentBundle(
  ctx: RunContext,
  backend?: BackendName,
): Promise<ModelBundle> {
  await initBackend(backend);
  const bundle = await loadBundle(ctx.paths.model);
  if (bundle.metadata.model_version !== ctx.version)
    throw new PipelineError(
      'model',
      `${relative(process.cwd(), ctx.paths.model)} holds model ${bundle.metadata.model_version}, but the config, data and code now give ${ctx.version}`,
      { hint: 'Train it again with `mlops train`.' },
    );
  return bundle;
}
