import * as core from '@actions/core';
import { runAction } from '../../shared/src/run.js';
import { publishReport } from './report.js';
import { readSettings } from './settings.js';

/** The action's work. `index.ts` calls it; a local runner can import and call it too. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const { prNumber, comment } = await publishReport(readSettings());
    core.setOutput('pr-number', prNumber ?? '');
    core.setOutput('comment-id', comment?.id ?? '');
    core.setOutput('comment-url', comment?.url ?? '');
  });
}
