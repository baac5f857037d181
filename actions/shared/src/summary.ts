/**
 * The job summary, written only where the runner offers one: the same bundle
 * also runs by hand (`node actions/train/dist/index.js`) with no GITHUB_STEP_SUMMARY.
 */
import * as core from '@actions/core';

type Summary = typeof core.summary;

export async function writeSummary(build: (summary: Summary) => Summary): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return;
  await build(core.summary).write();
}
