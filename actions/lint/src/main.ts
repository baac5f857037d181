import * as core from '@actions/core';
import { relative } from 'node:path';
import { runAction, workspacePath } from '../../shared/src/run.js';
import { lint } from './lint.js';
import { readSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = readSettings();
    const findings = await lint(settings);
    for (const f of findings) {
      const file = workspacePath(`${settings.cwd}/${f.file}`);
      const props = { title: f.tool, file, startLine: f.line, startColumn: f.column };
      if (f.severity === 'error') core.error(f.message, props);
      else core.warning(f.message, props);
    }
    const count = (tool: string, severity: string) =>
      findings.filter((f) => f.tool === tool && f.severity === severity).length;
    const tools = [
      ['ESLint', 'eslint', settings.eslint],
      ['Prettier', 'prettier', settings.prettier],
      ['tsc --noEmit', 'tsc', settings.typecheck],
    ] as const;
    await writeSummary((s) =>
      s.addHeading('Lint', 3).addTable([
        [
          { data: 'Check', header: true },
          { data: 'Errors', header: true },
          { data: 'Warnings', header: true },
        ],
        ...tools.map(([label, tool, on]) =>
          on
            ? [label, String(count(tool, 'error')), String(count(tool, 'warning'))]
            : [label, 'off', 'off'],
        ),
      ]),
    );
    const errors = findings.filter((f) => f.severity === 'error').length;
    core.setOutput('errors', errors);
    core.setOutput('warnings', findings.length - errors);
    core.info(
      `${errors} errors, ${findings.length - errors} warnings in ${relative(process.cwd(), settings.cwd) || '.'}`,
    );
    return errors ? 1 : 0;
  });
}
