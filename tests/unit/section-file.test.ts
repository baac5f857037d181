/**
 * Sections one job computes for the report another job writes
 * (reports/sections/*.json): read back only for the model they were computed
 * for, and a malformed file is an error naming it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readSectionFiles, writeSectionFile } from '../../pipeline/report/sections/section-file.js';

let reports: string;
beforeEach(async () => void (reports = await mkdtemp(join(tmpdir(), 'mlops-sections-'))));
afterEach(() => rm(reports, { recursive: true, force: true }));

const section = {
  title: 'Data changes',
  heading: '✅ Data changes against `main`: none',
  markdown: 'Same.',
};

it('gives back the sections of the model they were computed for, and no other', async () => {
  expect(await readSectionFiles(reports, 'v1')).toEqual([]);
  await writeSectionFile(reports, 'data-changes', 'v1', section);
  expect(await readSectionFiles(reports, 'v1')).toEqual([section]);
  // A file left over from another model is never shown under this one.
  expect(await readSectionFiles(reports, 'v2')).toEqual([]);
});

it('names a malformed section file', async () => {
  await writeSectionFile(reports, 'data-changes', 'v1', section);
  await writeFile(join(reports, 'sections', 'data-changes.json'), '{"format":"mlops-section/1"}');
  await expect(readSectionFiles(reports, 'v1')).rejects.toThrow(
    /sections\/data-changes\.json: model_version/,
  );
});
