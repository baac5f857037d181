import * as core from '@actions/core';
import { runAction, workspacePath } from '../../shared/src/run.js';
import { useBundledWasm } from '../../shared/src/tfjs.js';
import { failOnGates } from '../../../pipeline/gate/fail.js';
import { benchmark } from './benchmark.js';
import { readSettings } from './settings.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    useBundledWasm();
    const { result, jsonPath } = await benchmark(readSettings());
    const latency = result.in_process.single.latency;
    core.setOutput('p50-ms', latency.p50_ms);
    core.setOutput('p95-ms', latency.p95_ms);
    core.setOutput('p99-ms', latency.p99_ms);
    core.setOutput('model-bytes', result.model_size_bytes);
    core.setOutput('benchmark-path', workspacePath(jsonPath));
    core.setOutput('passed', result.passed !== false);
    failOnGates(result, 'benchmark gate');
  });
}
