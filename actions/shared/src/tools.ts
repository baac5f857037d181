/**
 * The repository's own linters and test runner, run from its node_modules: the
 * versions and configs the developers use locally, not copies bundled here.
 */
import { getExecOutput } from '@actions/exec';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineError } from '../../../pipeline/errors.js';

export interface ToolRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function toolPath(cwd: string, tool: string): string {
  const path = join(cwd, 'node_modules', '.bin', tool);
  if (!existsSync(path))
    throw new PipelineError('usage', `${path}: not installed`, {
      hint: 'Install the dependencies before this step (npm ci).',
    });
  return path;
}

export async function runTool(cwd: string, tool: string, args: string[]): Promise<ToolRun> {
  return getExecOutput(toolPath(cwd, tool), args, { cwd, ignoreReturnCode: true, silent: true });
}
