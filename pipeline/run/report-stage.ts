/**
 * The report stage: reports/metrics.json and the saved model's metadata →
 * reports/report.md, with a section for what other stages found (data changes,
 * a benchmark of this model). Needs no network and no data loading.
 */
import { relative } from 'node:path';
import type { OutputPaths } from '../config/paths.js';
import { PipelineError } from '../errors.js';
import { modelDigest } from '../model/digest.js';
import type { Metadata } from '../model/metadata.js';
import type { ProductionBaseline } from '../production/baseline.js';
import { findingSections, type ReportFindings } from '../report/findings.js';
import { renderReport } from '../report/markdown.js';
import type { MetricsFile } from '../report/metrics-file.js';
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
  const markdown = renderReport({
    result,
    metadata,
    baseline,
    sections: findingSections(found),
    identity,
  });
  await writeFileAtomic(ctx.paths.report, markdown);
  return markdown;
}
