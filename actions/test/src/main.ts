import * as core from '@actions/core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineError } from '../../../pipeline/errors.js';
import { runAction, workspacePath } from '../../shared/src/run.js';
import { runTool } from '../../shared/src/tools.js';
import { readResults } from './results.js';
import { readSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = readSettings();
    const dir = await mkdtemp(join(process.env['RUNNER_TEMP'] || tmpdir(), 'mlops-vitest-'));
    const out = join(dir, 'results.json');
    try {
      const run = await runTool(settings.cwd, 'vitest', [
        'run',
        '--reporter=json',
        `--outputFile=${out}`,
        '--includeTaskLocation',
        ...settings.args,
      ]);
      let json: string;
      try {
        json = await readFile(out, 'utf8');
      } catch {
        throw new PipelineError(
          'usage',
          `vitest wrote no results: ${(run.stderr || run.stdout).trim()}`,
        );
      }
      const { counts, failures } = readResults(json);
      for (const f of failures)
        core.error(`${f.name}: ${f.message}`, {
          title: 'Test failed',
          file: workspacePath(f.file),
          startLine: f.line,
          startColumn: f.column,
        });
      await writeSummary((s) =>
        s
          .addHeading('Tests', 3)
          .addTable([
            ['Total', 'Passed', 'Failed', 'Skipped'].map((data) => ({ data, header: true })),
            [counts.total, counts.passed, counts.failed, counts.skipped].map(String),
          ]),
      );
      core.info(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
      core.setOutput('total', counts.total);
      core.setOutput('passed', counts.passed);
      core.setOutput('failed', counts.failed);
      core.setOutput('skipped', counts.skipped);
      return counts.failed || counts.brokenFiles || run.exitCode ? 1 : 0;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
