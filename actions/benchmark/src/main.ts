import * as core from '@actions/core';
import { join, resolve } from 'node:path';
import { takeRows } from '../../../pipeline/data/table.js';
import { openRun } from '../../../pipeline/run/context.js';
import { loadCurrentBundle } from '../../../pipeline/run/stages.js';
import { initBackend } from '../../../pipeline/train/backend.js';
import { writeFileAtomic } from '../../../pipeline/util/files.js';
import { runAction, workspacePath } from '../../shared/src/run.js';
import { useBundledWasm } from '../../shared/src/tfjs.js';
import { measure, rowObjects } from './measure.js';
import { addToReport, benchmarkMarkdown } from './section.js';
import { readSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

await runAction(async () => {
  useBundledWasm();
  const settings = readSettings();
  const ctx = await openRun(settings.config, settings.overrides);
  const bundle = await loadCurrentBundle(ctx, settings.backend);
  const rows = rowObjects(
    takeRows(ctx.dataset.table, ctx.split.test),
    ctx.loaded.config.data.features,
  );
  const result = await measure(
    bundle,
    rows,
    settings.requests,
    ctx.paths.model,
    await initBackend(),
  );
  bundle.network.dispose();

  const jsonPath = join(ctx.paths.reports, 'benchmark.json');
  await writeFileAtomic(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  const section = benchmarkMarkdown(result);
  await addToReport(resolve(settings.report), section);
  core.info(
    `latency p50 ${result.latency_ms.p50.toFixed(3)} ms, p95 ${result.latency_ms.p95.toFixed(3)} ms, p99 ${result.latency_ms.p99.toFixed(3)} ms; model ${result.model_bytes} bytes`,
  );
  await writeSummary((s) => s.addRaw(section, true));
  core.setOutput('p50-ms', result.latency_ms.p50);
  core.setOutput('p95-ms', result.latency_ms.p95);
  core.setOutput('p99-ms', result.latency_ms.p99);
  core.setOutput('model-bytes', result.model_bytes);
  core.setOutput('benchmark-path', workspacePath(jsonPath));
});
