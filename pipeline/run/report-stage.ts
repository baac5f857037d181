/**
 * The report stage: reports/metrics.json and the saved model's metadata →
 * reports/report.md, with a section for what other stages found (data changes,
 * a benchmark of this model), given here or left for this model in
 * reports/sections/ by another job. Needs no network and no data loading.
 */
import { dirname, relative } from 'node:path';
import type { OutputPaths } from '../config/paths.js';
import { PipelineError } from '../errors.js';
import { modelDigest } from '../model/digest.js';
import type { Metadata } from '../model/metadata.js';
import type { ProductionBaseline } from '../production/baseline.js';
import { findingSections, type ReportFindings } from '../report/findings.js';
import { renderReport, type ReportSection } from '../report/markdown.js';
import type { MetricsFile } from '../report/metrics-file.js';
import { readSectionFiles } from '../report/sections/section-file.js';
import { writeFileAtomic } from '../util/files.js';

export async function reportStage(
  ctx: { paths: Pick<OutputPaths, 'metrics' | 'model' | 'report'> },
  result: MetricsFile,
  metadata: Metadata,
  baseline?: ProductionBaseline,
  found: ReportFindings = {},
): Promise<string> {
  // After a retrain without evaluate, the two files describe different models;
  // a report of one's metrics under the other's lineage would mislead review.
  if (result.model_version !== metadata.model_version)
    throw new PipelineError(
      'model',
      `${relative(process.cwd(), ctx.paths.metrics) || ctx.paths.metrics}: has the metrics of model ${result.model_version}, but ${relative(process.cwd(), ctx.paths.model) || ctx.paths.model} holds model ${metadata.model_version}`,
      { hint: 'Score the saved model with `mlops evaluate` first.' },
    );
  const identity = await modelDigest(ctx.paths.model);
  const given = findingSections(found);
  const left: ReportSection[] = (
    await readSectionFiles(dirname(ctx.paths.report), result.model_version)
  ).filter((s) => !given.some((g) => g.title === s.title));
  const markdown = renderReport({
    result,
    metadata,
    baseline,
    sections: [...left, ...given],
    identity,
  });
  await writeFileAtomic(ctx.paths.report, markdown);
  return markdown;
}
