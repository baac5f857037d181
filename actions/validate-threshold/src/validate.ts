/**
 * The quality gates of mlops.yaml against production (the record on
 * refs/mlops/production, or an explicit baseline file); the report is written
 * whatever the verdict, so a failing pull request still explains itself.
 */
import * as core from '@actions/core';
import { loadConfig } from '../../../pipeline/config/load.js';
import { outputPaths } from '../../../pipeline/config/paths.js';
import { readMetadata } from '../../../pipeline/model/files.js';
import { fmt } from '../../../pipeline/report/markdown.js';
import { readMetricsFile, type MetricsFile } from '../../../pipeline/report/metrics-file.js';
import { productionBaselines, resolveBaseline } from '../../../pipeline/production/baseline.js';
import { gateStage } from '../../../pipeline/run/gate-stage.js';
import { reportStage } from '../../../pipeline/run/report-stage.js';
import { workspacePath } from '../../shared/src/run.js';
import type { ValidateSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

export interface ValidateOutcome {
  result: MetricsFile;
  reportPath: string;
}

export async function validate(settings: ValidateSettings): Promise<ValidateOutcome> {
  const loaded = await loadConfig(settings.config, settings.overrides);
  const paths = outputPaths(loaded.dir);
  const metrics = await readMetricsFile(paths.metrics);
  const baseline = settings.baseline
    ? await resolveBaseline(settings.baseline, loaded.dir)
    : (await productionBaselines(loaded.dir, { token: settings.githubToken })).metrics;
  const production = baseline?.data.production;
  core.info(
    production
      ? `production: ${production.model_version} (${production.event} ${production.at})`
      : baseline
        ? `baseline: ${baseline.path}`
        : 'no production model yet: nothing to compare with',
  );
  const result = await gateStage({ loaded, paths }, metrics, baseline);
  const report = await reportStage(
    { paths },
    result,
    await readMetadata(paths.model),
    baseline?.data,
  );

  const configFile = workspacePath(loaded.path);
  for (const gate of result.gates) {
    const line = `${gate.skipped ? 'skipped' : gate.passed ? 'pass' : 'FAIL'}  ${gate.name}: value ${fmt(gate.value)}, bound ${fmt(gate.bound)}`;
    if (gate.passed) core.info(line);
    else
      core.error(
        `${gate.name}: the model has ${gate.metric} ${fmt(gate.value)}, the bound is ${fmt(gate.bound)}`,
        {
          title: `Quality gate failed: ${gate.name}`,
          file: configFile,
          startLine: loaded.lineOf(['gates', gate.metric, gate.kind]),
        },
      );
  }
  await writeSummary((s) => s.addRaw(report, true));
  return { result, reportPath: workspacePath(paths.report) };
}
