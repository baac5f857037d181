/**
 * Post the report as the pull request's one sticky comment. The report file is
 * data: in pr-comment.yml it comes from an artifact a fork's code wrote, so only
 * its text is used, and which pull request it goes to is decided here, from
 * the event, never from the artifact. After a workflow_run, the comment tells
 * that run's outcome whatever it was, with or without a report (see outcome.ts).
 */
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import { PipelineError } from '../../../pipeline/errors.js';
import { REPORT_MARKER } from '../../../pipeline/report/markdown.js';
import {
  client,
  eventName,
  eventPayload,
  repository,
  type Octokit,
  type Repository,
} from '../../shared/src/github.js';
import { findPullRequest } from '../../shared/src/pull-request.js';
import {
  describedHead,
  upsertComment,
  type StickyComment,
} from '../../shared/src/sticky-comment.js';
import { writeSummary } from '../../shared/src/summary.js';
import { isSuperseded, markHead, renderOutcome } from './outcome.js';
import { failedJobs, workflowRun, type FailedJob, type WorkflowRun } from './run.js';
import type { ReportSettings } from './settings.js';

export interface ReportOutcome {
  prNumber?: number;
  comment?: StickyComment;
}

/** The report's text, or undefined when there is none to read (`missing` allows that). */
async function readReport(path: string, missing: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (missing && code === 'ENOENT') return undefined;
    throw new PipelineError('input', `${path}: cannot read the report (${code})`, {
      hint: 'Run validate-threshold first, or download the report artifact to this path.',
    });
  }
}

/** What failed in a run that did not pass; a refusal leaves the comment less precise, not stale. */
async function whatFailed(octokit: Octokit, repo: Repository, run: WorkflowRun) {
  if (run.conclusion === 'success') return [];
  try {
    return await failedJobs(octokit, repo, run.id);
  } catch (error) {
    const e = error as PipelineError;
    core.warning(e.hint ? `${e.message}\n${e.hint}` : e.message);
    return [] as FailedJob[];
  }
}

export async function publishReport(settings: ReportSettings): Promise<ReportOutcome> {
  const payload = eventPayload();
  // Only a workflow_run says how the run it reports on ended; elsewhere the report is the whole story.
  const run = eventName() === 'workflow_run' ? workflowRun(payload) : undefined;
  const report = await readReport(settings.report, !!run);
  const octokit = client(settings.token);
  const repo = repository();
  const pr = settings.prNumber
    ? { number: settings.prNumber, headSha: undefined }
    : await findPullRequest(octokit, repo, eventName(), payload);
  if (run && report === undefined)
    core.warning(`${settings.report}: no report; the comment tells the run's outcome instead`);
  const body = run
    ? renderOutcome({
        run,
        report,
        failed: await whatFailed(octokit, repo, run),
        prHead: pr?.headSha,
      })
    : pr?.headSha
      ? markHead(report!, pr.headSha)
      : report!;
  await writeSummary((s) => s.addRaw(body, true));
  if (!pr) {
    core.notice('not a pull request run: the report is in the job summary only');
    return {};
  }
  const superseded = !!run && isSuperseded({ run, prHead: pr.headSha });
  const comment = await upsertComment(
    octokit,
    { ...repo, issue_number: pr.number },
    body,
    REPORT_MARKER,
    // A result for a commit the pull request has moved past never replaces the head's.
    { keep: (existing) => superseded && describedHead(existing) === pr.headSha },
  );
  core.info(
    `${comment.kept ? 'kept' : comment.created ? 'created' : 'updated'} the report comment on #${pr.number}: ${comment.url}`,
  );
  return { prNumber: pr.number, comment };
}
