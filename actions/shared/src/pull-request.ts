/**
 * Which pull request a run belongs to, and where its head is now. From a
 * pull_request event it is in the payload. From workflow_run the run's
 * `pull_requests` list is empty when the head is a fork, so the pull request is
 * found from the head repository and branch, never from anything the run's
 * artifacts say; its head may have moved on since the run (a newer push).
 */
import { PipelineError } from '../../../pipeline/errors.js';
import type { Octokit, Repository } from './github.js';

export interface PullRequestHead {
  number: number;
  /** The pull request's head commit now, which a workflow_run's run may be behind. */
  headSha: string;
}

interface WorkflowRunHead {
  headSha: string;
  headBranch: string;
  headRepository: string;
  headOwner: string;
}

function workflowRunHead(payload: Record<string, unknown>): WorkflowRunHead | undefined {
  const run = payload['workflow_run'] as
    | {
        head_sha?: string;
        head_branch?: string;
        head_repository?: { full_name?: string; owner?: { login?: string } };
      }
    | undefined;
  if (!run?.head_sha || !run.head_branch || !run.head_repository?.full_name) return undefined;
  return {
    headSha: run.head_sha,
    headBranch: run.head_branch,
    headRepository: run.head_repository.full_name,
    headOwner: run.head_repository.owner?.login ?? run.head_repository.full_name.split('/')[0]!,
  };
}

export async function findPullRequest(
  octokit: Octokit,
  repo: Repository,
  eventName: string,
  payload: Record<string, unknown>,
): Promise<PullRequestHead | undefined> {
  const pr = payload['pull_request'] as { number?: number; head?: { sha?: string } } | undefined;
  if (pr?.number) return { number: pr.number, headSha: pr.head?.sha ?? '' };
  if (eventName !== 'workflow_run') return undefined;
  const head = workflowRunHead(payload);
  if (!head)
    throw new PipelineError(
      'usage',
      'the workflow_run event has no head sha, branch or repository to find its pull request by',
    );
  const pulls = await octokit.paginate(octokit.rest.pulls.list, {
    ...repo,
    state: 'open',
    head: `${head.headOwner}:${head.headBranch}`,
    per_page: 100,
  });
  const fromHead = pulls.filter((p) => p.head.repo?.full_name === head.headRepository);
  // The run's own commit first; else the branch's pull request, whose head moved past the run.
  const match = fromHead.find((p) => p.head.sha === head.headSha) ?? fromHead[0];
  return match ? { number: match.number, headSha: match.head.sha } : undefined;
}

export interface MergedPullRequest {
  number: number;
  /** Its head when it was merged. */
  headSha: string;
}

/**
 * The pull request merged as `sha` (its merge_commit_sha: a merge, squash or the
 * last commit of a rebase), found with GET /repos/{owner}/{repo}/commits/{sha}/pulls
 * (contents: read and pull-requests: read); undefined for a direct push.
 */
export async function mergedPullRequest(
  octokit: Octokit,
  repo: Repository,
  sha: string,
): Promise<MergedPullRequest | undefined> {
  let pulls;
  try {
    ({ data: pulls } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: sha,
      per_page: 100,
    }));
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new PipelineError(
      'usage',
      `cannot list the pull requests of commit ${sha.slice(0, 12)} (HTTP ${status ?? '?'}): ${(error as Error).message}`,
      { hint: 'The job needs `contents: read` and `pull-requests: read` in its permissions.' },
    );
  }
  const merged = pulls.find((p) => p.merged_at && p.merge_commit_sha === sha);
  return merged ? { number: merged.number, headSha: merged.head.sha } : undefined;
}
