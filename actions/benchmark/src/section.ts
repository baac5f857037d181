/**
 * The Benchmark section in reports/report.md. It is added between its own
 * markers, so running the benchmark again replaces it instead of adding a second
 * one, and every other section is left as it was. It goes where the report puts
 * the sections of other stages: right after the gates.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../../pipeline/util/files.js';

const START = '<!-- mlops-benchmark -->';
const END = '<!-- /mlops-benchmark -->';

export async function addToReport(reportPath: string, markdown: string): Promise<void> {
  const section = `${START}\n${markdown}\n${END}`;
  let report = '';
  try {
    report = await readFile(reportPath, 'utf8');
  } catch {
    // No report yet (the gates job has not run): the section alone is the report.
  }
  const start = report.indexOf(START);
  const end = report.indexOf(END);
  const gates = report.indexOf('\n### Gates');
  const afterGates = gates >= 0 ? report.indexOf('\n### ', gates + 1) : -1;
  const next =
    start >= 0 && end > start
      ? `${report.slice(0, start)}${section}${report.slice(end + END.length)}`
      : afterGates >= 0
        ? `${report.slice(0, afterGates)}\n${section}\n${report.slice(afterGates)}`
        : `${report.trimEnd()}${report ? '\n\n' : ''}${section}\n`;
  await writeFileAtomic(reportPath, next);
}
