import * as core from '@actions/core';
import { runAction, workspacePath } from '../../shared/src/run.js';
import { useBundledWasm } from '../../shared/src/tfjs.js';
import { benchmark } from './benchmark.js';
import { readSettings } from './settings.js';

await runAction(async () => {
  useBundledWasm();
  const { result, jsonPath } = await benchmark(readSettings());
  core.setOutput('p50-ms', result.latency_ms.p50);
  core.setOutput('p95-ms', result.latency_ms.p95);
  core.setOutput('p99-ms', result.latency_ms.p99);
  core.setOutput('model-bytes', result.model_bytes);
  core.setOutput('benchmark-path', workspacePath(jsonPath));
});
