/**
 * The "Data changes" section of a pull request's report: the data the pull
 * request trains on against the base branch's, pulled from the same remote.
 * It explains a change; it never fails the job: when the base's data cannot
 * be had (the remote refuses a run without credentials, a fork's say), the
 * section says so, and why.
 */
import * as core from '@actions/core';
import { dataChangesAgainst } from '../../../pipeline/data/diff/against.js';
import { PipelineError } from '../../../pipeline/errors.js';
import {
  dataChangesSection,
  dataNotComparedSection,
} from '../../../pipeline/report/sections/data-changes.js';
import { writeSectionFile } from '../../../pipeline/report/sections/section-file.js';
import type { RunContext } from '../../../pipeline/run/context.js';
import type { ReportSection } from '../../../pipeline/report/markdown.js';
import type { RemoteAccess } from '../../../pipeline/data/remote/open.js';
import { eventPayload } from '../../shared/src/github.js';

interface PullRequestRefs {
  base?: { ref?: string };
}

async function section(ctx: RunContext, rev: string, access: RemoteAccess): Promise<ReportSection> {
  const pr = eventPayload()['pull_request'] as PullRequestRefs | undefined;
  // The revision is how git finds the base (HEAD^1 of the merge commit); the branch is what a reviewer knows.
  const label = pr?.base?.ref ?? rev;
  try {
    const found = await dataChangesAgainst(ctx.loaded, rev, access);
    return dataChangesSection({ ...found, rev: label });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const hint = error instanceof PipelineError ? error.hint : undefined;
    core.warning(`data changes against ${label}: not compared: ${why}`);
    return dataNotComparedSection(label, why, hint);
  }
}

/** Compare, and leave the section in reports/sections/ for the job that writes the report. */
export async function writeDataChanges(
  ctx: RunContext,
  rev: string,
  access: RemoteAccess,
): Promise<ReportSection> {
  const found = await section(ctx, rev, access);
  await writeSectionFile(ctx.paths.reports, 'data-changes', ctx.version, found);
  core.info(`data changes: ${found.heading ?? found.title}`);
  return found;
}
