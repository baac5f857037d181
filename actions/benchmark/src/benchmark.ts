/**
 * The benchmark stage of pipeline/bench on the model the train job left in
 * artifacts/model: reports/bench.json, gated by `bench.gates` of mlops.yaml
 * against production's bench.json (from the production record, unless a
 * baseline file is given), and its section added to the report.
 */
import * as core from '@actions/core';
import { resolve } from 'node:path';
import { readBenchBaseline } from '../../../pipeline/bench/bench-file.js';
import { benchPath, benchStage } from '../../../pipeline/bench/stage.js';
import type { BenchFile } from '../../../pipeline/bench/bench-file.js';
import {
  productionBaselines,
  type ResolvedBaseline,
} from '../../../pipeline/production/baseline.js';
import { openRun } from '../../../pipeline/run/context.js';
import { benchSection } from '../../../pipeline/report/sections/benchmark.js';
import { loadCurrentBundle } from '../../../pipeline/run/current-bundle.js';
import { initBackend } from '../../../pipeline/train/backend.js';
import { writeSummary } from '../../shared/src/summary.js';
import { addToReport } from './section.js';
import type { BenchmarkSettings } from './settings.js';

export async function benchmark(
  settings: BenchmarkSettings,
): Promise<{ result: BenchFile; jsonPath: string }> {
  const ctx = await openRun(settings.config, settings.overrides);
  const baseline: ResolvedBaseline | undefined = settings.baseline
    ? { path: settings.baseline, data: await readBenchBaseline(settings.baseline) }
    : (await productionBaselines(ctx.loaded.dir, { token: settings.githubToken })).bench;
  const production =
    baseline && 'production' in baseline.data ? baseline.data.production : undefined;
  core.info(
    production
      ? `compared with the benchmark of production ${production.model_version}`
      : baseline
        ? `compared with ${baseline.path}`
        : 'no production benchmark yet: nothing to compare with',
  );
  const bundle = await loadCurrentBundle(ctx, settings.backend);
  const result = await benchStage({
    loaded: ctx.loaded,
    paths: ctx.paths,
    bundle,
    modelDir: ctx.paths.model,
    backend: await initBackend(settings.backend),
    baseline,
  });
  bundle.network.dispose();
  const section = benchSection(result, baseline?.data);
  await addToReport(resolve(settings.report), section);
  const { p50_ms, p95_ms, p99_ms } = result.in_process.single.latency;
  core.info(
    `latency p50 ${p50_ms.toFixed(3)} ms, p95 ${p95_ms.toFixed(3)} ms, p99 ${p99_ms.toFixed(3)} ms; model ${result.model_size_bytes} bytes`,
  );
  await writeSummary((s) => s.addHeading(section.title, 3).addRaw(section.markdown, true));
  return { result, jsonPath: benchPath(ctx.paths) };
}
