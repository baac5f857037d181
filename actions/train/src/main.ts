import * as core from '@actions/core';
import { runAction } from '../../shared/src/run.js';
import { useBundledWasm } from '../../shared/src/tfjs.js';
import { readSettings } from './settings.js';
import { trainAction } from './train.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    useBundledWasm();
    const outcome = await trainAction(readSettings());
    core.setOutput('model-version', outcome.version);
    core.setOutput('cache-hit', outcome.cacheHit);
    core.setOutput('trained', outcome.trained);
    core.setOutput('model-path', outcome.modelPath);
    core.setOutput('metrics-path', outcome.metricsPath);
  });
}
