/**
 * The Benchmark section in reports/report.md, which the gates job wrote before
 * this one ran. It goes where renderReport places the sections of other stages
 * (placeSection), so running the benchmark again replaces it instead of adding
 * a second one, and every other section is left as it was.
 */
import { readFile } from 'node:fs/promises';
import { placeSection, type ReportSection } from '../../../pipeline/report/markdown.js';
import { writeFileAtomic } from '../../../pipeline/util/files.js';

export async function addToReport(reportPath: string, section: ReportSection): Promise<void> {
  let report = '';
  try {
    report = await readFile(reportPath, 'utf8');
  } catch {
    // No report yet (the gates job has not run): the section alone is the report.
  }
  await writeFileAtomic(reportPath, placeSection(report, section));
}
