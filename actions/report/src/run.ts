/**
 * The pr.yml run a workflow_run event reports on: its outcome from the event,
 * and, when it did not succeed, which jobs and steps failed, from the API
 * (GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs, which needs actions:
 * read). Job and step names come from the pull request's workflow file, a
 * fork's possibly: they are data, rendered as code, never as markdown.
 */
import { PipelineError } from '../../../pipeline/errors.js';
import type { Octokit, Repository } from '../../shared/src/github.js';

export interface WorkflowRun {
  id: number;
  name: string;
  runNumber?: number;
  /** success, failure, cancelled, timed_out, action_required, startup_failure … */
  conclusion: string;
  url: string;
  headSha: string;
}

export interface FailedJob {
  name: string;
  conclusion: string;
  /** The first step that did not succeed, when the job got as far as a step. */
  step?: string;
  url: string;
}

export function workflowRun(payload: Record<string, unknown>): WorkflowRun | undefined {
  const run = payload['workflow_run'] as
    | {
        id?: number;
        name?: string;
        run_number?: number;
        conclusion?: string | null;
        html_url?: string;
        head_sha?: string;
      }
    | undefined;
  if (!run?.id || !run.html_url || !run.head_sha) return undefined;
  return {
    id: run.id,
    name: run.name ?? 'workflow',
    runNumber: run.run_number,
    conclusion: run.conclusion ?? 'unknown',
    url: run.html_url,
    headSha: run.head_sha,
  };
}

const NOT_OK = new Set(['failure', 'timed_out', 'cancelled', 'startup_failure', 'action_required']);

export async function failedJobs(
  octokit: Octokit,
  repo: Repository,
  runId: number,
): Promise<FailedJob[]> {
  let jobs;
  try {
    jobs = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRun, {
      ...repo,
      run_id: runId,
      filter: 'latest',
      per_page: 100,
    });
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw new PipelineError(
      'usage',
      `cannot list the jobs of run ${runId} (HTTP ${status ?? '?'}): ${(error as Error).message}`,
      { hint: 'The job that posts the comment needs `actions: read` in its permissions.' },
    );
  }
  return jobs
    .filter((j) => NOT_OK.has(j.conclusion ?? ''))
    .map((j) => ({
      name: j.name,
      conclusion: j.conclusion!,
      step: (j.steps ?? []).find((s) => NOT_OK.has(s.conclusion ?? ''))?.name,
      url: j.html_url ?? '',
    }));
}
