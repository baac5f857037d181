/**
 * Post the report as the pull request's one sticky comment. The report file is
 * data: in pr-comment.yml it comes from an artifact a fork's code wrote, so only
 * its text is used, and which pull request it goes to is decided here, from
 * the event, never from the artifact.
 */
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { PipelineError } from '../../../pipeline/errors.js';
import { REPORT_MARKER } from '../../../pipeline/report/markdown.js';
import { client, eventName, eventPayload, repository } from '../../shared/src/github.js';
import { pullRequestNumber } from '../../shared/src/pull-request.js';
import { upsertComment, type StickyComment } from '../../shared/src/sticky-comment.js';
import type { ReportSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

export interface ReportOutcome {
  prNumber?: number;
  comment?: StickyComment;
}

async function readReport(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'input',
      `${path}: cannot read the report (${(error as NodeJS.ErrnoException).code})`,
      { hint: 'Run validate-threshold first, or download the report artifact to this path.' },
    );
  }
}

export async function publishReport(settings: ReportSettings): Promise<ReportOutcome> {
  const body = await readReport(settings.report);
  const octokit = client(settings.token);
  const repo = repository();
  const prNumber =
    settings.prNumber ?? (await pullRequestNumber(octokit, repo, eventName(), eventPayload()));
  await writeSummary((s) => s.addRaw(body, true));
  if (!prNumber) {
    core.notice('not a pull request run: the report is in the job summary only');
    return {};
  }
  const comment = await upsertComment(
    octokit,
    { ...repo, issue_number: prNumber },
    body,
    REPORT_MARKER,
  );
  core.info(
    `${comment.created ? 'created' : 'updated'} the report comment on #${prNumber}: ${comment.url}`,
  );
  return { prNumber, comment };
}
