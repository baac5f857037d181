import { PipelineError } from '../../../pipeline/errors.js';
import { runTool } from '../../shared/src/tools.js';
import { eslintFindings, prettierFindings, tscFindings, type Finding } from './findings.js';
import type { LintSettings } from './settings.js';

export async function lint(settings: LintSettings): Promise<Finding[]> {
  const { cwd } = settings;
  const findings: Finding[] = [];
  if (settings.eslint) {
    const run = await runTool(cwd, 'eslint', ['--format', 'json', '.']);
    if (run.exitCode > 1 || !run.stdout.trim().startsWith('['))
      throw new PipelineError(
        'usage',
        `eslint could not run: ${run.stderr.trim() || run.stdout.trim()}`,
      );
    findings.push(...eslintFindings(run.stdout, cwd));
  }
  if (settings.prettier) {
    const run = await runTool(cwd, 'prettier', ['--list-different', '.']);
    if (run.exitCode > 1)
      throw new PipelineError('usage', `prettier could not run: ${run.stderr.trim()}`);
    findings.push(...prettierFindings(run.stdout));
  }
  if (settings.typecheck) {
    const run = await runTool(cwd, 'tsc', ['--noEmit', '--pretty', 'false']);
    const found = tscFindings(run.stdout, cwd);
    if (run.exitCode !== 0 && !found.length)
      throw new PipelineError('usage', `tsc could not run: ${(run.stdout + run.stderr).trim()}`);
    findings.push(...found);
  }
  return findings;
}
