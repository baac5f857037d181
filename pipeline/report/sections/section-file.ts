/**
 * A section one job computes for a report another job writes. In the pull
 * request pipeline the train job has the data and the remote, so it compares
 * the data with the base branch's; the gates job, which has neither, writes
 * report.md. The section travels between them as reports/sections/<name>.json
 * beside metrics.json, tied to the model it was computed for, so a file left
 * over from another model is never shown.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonWith } from '../../util/json-file.js';
import { writeFileAtomic } from '../../util/files.js';
import type { ReportSection } from '../markdown.js';

const SectionFileSchema = z.object({
  format: z.literal('mlops-section/1'),
  model_version: z.string(),
  title: z.string().min(1),
  heading: z.string().optional(),
  markdown: z.string(),
});

const folder = (reportsDir: string) => join(reportsDir, 'sections');

export async function writeSectionFile(
  reportsDir: string,
  name: string,
  modelVersion: string,
  section: ReportSection,
): Promise<string> {
  const path = join(folder(reportsDir), `${name}.json`);
  const file: z.infer<typeof SectionFileSchema> = {
    format: 'mlops-section/1',
    model_version: modelVersion,
    ...section,
  };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  return path;
}

/** The sections computed for `modelVersion`, by file name; none when there is no folder. */
export async function readSectionFiles(
  reportsDir: string,
  modelVersion: string,
): Promise<ReportSection[]> {
  let names: string[];
  try {
    names = (await readdir(folder(reportsDir))).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const sections: ReportSection[] = [];
  for (const name of names) {
    const { model_version, title, heading, markdown } = await readJsonWith(
      join(folder(reportsDir), name),
      'report section',
      SectionFileSchema,
      'Delete it; the job that computes it writes it again.',
    );
    if (model_version === modelVersion)
      sections.push({ title, markdown, ...(heading === undefined ? {} : { heading }) });
  }
  return sections;
}
