/**
 * The GitHub side of "reviewed equals deployed": which pull request was merged
 * as the commit being deployed, and what its report comment says (the head it
 * describes, the model it names). The decision is pipeline/deploy/reviewed.ts's;
 * this only gathers, and tells the pull request when another model went live.
 */
import { modelDigest } from '../../../pipeline/model/digest.js';
import {
  decideReviewed,
  type ReviewDecision,
  type ReviewEvidence,
} from '../../../pipeline/deploy/reviewed.js';
import { PipelineError } from '../../../pipeline/errors.js';
import { REPORT_MARKER } from '../../../pipeline/report/markdown.js';
import { parseModelIdentity } from '../../../pipeline/report/sections/read-model-identity.js';
import type { Octokit, Repository } from '../../shared/src/github.js';
import { mergedPullRequest } from '../../shared/src/pull-request.js';
import { describedHead, findComment } from '../../shared/src/sticky-comment.js';

/** The deploy stopped because the model is not proven to be the reviewed one: exit 1, as a failed gate. */
export class ReviewRefused extends PipelineError {
  constructor(message: string, hint: string) {
    super('deploy', message, { hint });
  }
}

export async function gatherEvidence(
  octokit: Octokit,
  repo: Repository,
  commit: string,
): Promise<ReviewEvidence> {
  const pr = await mergedPullRequest(octokit, repo, commit);
  if (!pr) return { commit };
  const found = await findComment(octokit, { ...repo, issue_number: pr.number }, REPORT_MARKER);
  return {
    commit,
    pullRequest: {
      ...pr,
      ...(found && {
        comment: {
          url: found.url,
          head: describedHead(found.body),
          model: parseModelIdentity(found.body),
        },
      }),
    },
  };
}

export interface ReviewRequest {
  model: string;
  requireReview: boolean;
  /** Where to look the review up; absent when it is not required. */
  github?: { octokit: Octokit; repo: Repository; commit: string };
}

/** The decision for the model in `request.model`; a refusal is thrown as ReviewRefused. */
export async function checkReview(
  request: ReviewRequest,
): Promise<Exclude<ReviewDecision, { kind: 'refused' }>> {
  const digest = await modelDigest(request.model);
  const { github } = request;
  const evidence = github
    ? await gatherEvidence(github.octokit, github.repo, github.commit)
    : undefined;
  const decision = decideReviewed({
    deployed: digest,
    evidence,
    requireReview: request.requireReview,
  });
  if (decision.kind === 'refused') throw new ReviewRefused(decision.message, decision.hint);
  return decision;
}

/** A new comment on the merged pull request saying which model went live instead of the reviewed one. */
export async function tellPullRequest(
  octokit: Octokit,
  repo: Repository,
  number: number,
  body: string,
): Promise<string> {
  try {
    const { data } = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: number,
      body,
    });
    return data.html_url;
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new PipelineError(
      'usage',
      `the release is live, but pull request #${number} could not be told which model went live (HTTP ${status ?? '?'}): ${(error as Error).message}`,
      { hint: 'The deploy job needs `pull-requests: write` in its permissions.' },
    );
  }
}
