/**
 * `mlops config set KEY.PATH=VALUE`: change mlops.yaml in place, keeping its
 * comments, order and layout (the yaml package's Document API edits the parsed
 * tree, not the text). Every assignment is first checked as a `--set` override
 * is, against the whole schema, so a bad key path or value writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { PipelineError } from '../errors.js';
import { writeFileAtomic } from '../util/files.js';
import { loadConfig, parseAssignment } from './load.js';

export async function setConfigValues(file: string, assignments: readonly string[]): Promise<void> {
  if (!assignments.length)
    throw new PipelineError(
      'usage',
      'config set: expected KEY.PATH=VALUE, for example model.epochs=50',
    );
  // Same parsing and validation as --set; it throws naming the assignment at fault.
  await loadConfig(file, assignments);
  const path = resolve(file);
  const doc = parseDocument(await readFile(path, 'utf8'));
  for (const text of assignments) {
    const { path: keyPath, value } = parseAssignment(text);
    doc.setIn(keyPath, value);
  }
  await writeFileAtomic(path, doc.toString());
}
