/**
 * What other stages found that the report shows: their typed results, each
 * rendered here as its section, in this order.
 */
import type { MeasuredBench } from '../bench/stage.js';
import type { DataChangesAgainst } from '../data/diff/against.js';
import type { ReportSection } from './markdown.js';
import { benchSection } from './sections/benchmark.js';
import { dataChangesSection } from './sections/data-changes.js';

export interface ReportFindings {
  dataChanges?: DataChangesAgainst;
  bench?: MeasuredBench;
}

export function findingSections(found: ReportFindings): ReportSection[] {
  return [
    ...(found.dataChanges ? [dataChangesSection(found.dataChanges)] : []),
    ...(found.bench ? [benchSection(found.bench.bench, found.bench.baseline)] : []),
  ];
}
