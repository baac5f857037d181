/**
 * The quality gates of mlops.yaml against the production baseline; the report
 * is written whatever the verdict, so a failing pull request still explains itself.
 */
import * as core from '@actions/core';
import { loadConfig } from '../../../pipeline/config/load.js';
import { outputPaths } from '../../../pipeline/config/paths.js';
import { readBaselineFile } from '../../../pipeline/gate/baseline.js';
import { readMetadata } from '../../../pipeline/model/files.js';
import { fmt } from '../../../pipeline/report/markdown.js';
import { readMetricsFile, type MetricsFile } from '../../../pipeline/report/metrics-file.js';
import { gateStage } from '../../../pipeline/run/gate-stage.js';
import { reportStage } from '../../../pipeline/run/report-stage.js';
import { workspacePath } from '../../shared/src/run.js';
import { restoreBaseline, saveBaseline } from './baseline.js';
import type { ValidateSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

export interface ValidateOutcome {
  result: MetricsFile;
  reportPath: string;
  baselineKey?: string;
}

export async function validate(settings: ValidateSettings): Promise<ValidateOutcome> {
  const loaded = await loadConfig(settings.config, settings.overrides);
  const paths = outputPaths(loaded.dir);
  const metrics = await readMetricsFile(paths.metrics);
  const baselinePath =
    settings.baseline ??
    (settings.useCache ? await restoreBaseline(loaded.config.name) : undefined);
  const baseline = await readBaselineFile(baselinePath);
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

  let baselineKey: string | undefined;
  if (settings.saveBaseline && result.passed)
    baselineKey = await saveBaseline(loaded.config.name, paths.metrics, result.model_version);
  return { result, reportPath: workspacePath(paths.report), baselineKey };
}
