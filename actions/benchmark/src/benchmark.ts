/**
 * Time the model the train job left in artifacts/model on the test split's
 * rows, write reports/benchmark.json, and add the section to the report.
 */
import * as core from '@actions/core';
import { join, resolve } from 'node:path';
import { takeRows } from '../../../pipeline/data/table.js';
import { openRun } from '../../../pipeline/run/context.js';
import { loadCurrentBundle } from '../../../pipeline/run/stages.js';
import { initBackend } from '../../../pipeline/train/backend.js';
import { writeFileAtomic } from '../../../pipeline/util/files.js';
import { writeSummary } from '../../shared/src/summary.js';
import { measure, rowObjects, type BenchmarkResult } from './measure.js';
import { addToReport, benchmarkMarkdown } from './section.js';
import type { BenchmarkSettings } from './settings.js';

export async function benchmark(
  settings: BenchmarkSettings,
): Promise<{ result: BenchmarkResult; jsonPath: string }> {
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
  const { p50, p95, p99 } = result.latency_ms;
  core.info(
    `latency p50 ${p50.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; model ${result.model_bytes} bytes`,
  );
  await writeSummary((s) => s.addRaw(section, true));
  return { result, jsonPath };
}
