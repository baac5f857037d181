/**
 * One push to a pull request as GitHub runs it: pr.yml on the pull_request
 * event, its jobs then listed by the API stand-in as GitHub lists a finished
 * run's jobs and steps, and pr-comment.yml on the workflow_run event that
 * follows, reading the run's artifacts.
 */
import { prComment } from '../../../workflows/pr-comment.js';
import { pr } from '../../../workflows/pr.js';
import type { Step, Workflow } from '../../../workflows/types.js';
import { pullRequestEvent, workflowRunEvent, type Head } from './events.js';
import type { GitHubServer } from './github-server.js';
import { runWorkflow, type JobResult, type RunnerOptions } from './workflow-runner.js';

export interface PushOptions {
  github: GitHubServer;
  /** The pull request's merge checkout: what pr.yml's jobs check out. */
  source: string;
  /** The base repository's checkout: what pr-comment.yml's job checks out. */
  base?: string;
  head: Head;
  action: 'opened' | 'synchronize';
  /** pr.yml's run id; pr-comment.yml's is 10000 more. */
  runId: number;
  /** pr.yml's GITHUB_TOKEN (read-only) and pr-comment.yml's (may comment). */
  prToken: string;
  commentToken: string;
  artifacts: RunnerOptions['artifacts'];
  artifactDir: string;
  /** GITHUB_API_URL, GITHUB_REPOSITORY, the cache service … */
  env: Record<string, string>;
  jobs?: string[];
  onRun?: RunnerOptions['onRun'];
  afterJob?: RunnerOptions['afterJob'];
  /** Changes every event payload (a private repository, say). */
  event?: (payload: Record<string, unknown>) => Record<string, unknown>;
  /** The comment workflow, pr-comment.yml unless a test changes it. */
  commentWorkflow?: Workflow;
}

/** GitHub's name for a step: its `name`, or "Run <uses or first line of run>". */
export const stepName = (step: Step) => step.name ?? `Run ${step.uses ?? step.run!.split('\n')[0]}`;

export const runUrl = (repo: string, runId: number | string) =>
  `https://github.com/${repo}/actions/runs/${runId}`;

export async function pushToPullRequest(options: PushOptions): Promise<{
  prRun: Record<string, JobResult>;
  commentRun: Record<string, JobResult>;
}> {
  const { github, head } = options;
  const event = options.event ?? ((p) => p);
  github.addPull({
    number: head.number,
    headRef: head.branch,
    headSha: head.sha,
    headRepo: head.repo,
  });
  const runId = String(options.runId);
  const prRun = await runWorkflow(pr, {
    source: options.source,
    eventName: 'pull_request',
    payload: event(pullRequestEvent(options.action, head)),
    token: options.prToken,
    runId,
    artifacts: options.artifacts,
    artifactDir: options.artifactDir,
    env: { ...options.env, GITHUB_REF: `refs/pull/${head.number}/merge` },
    onRun: options.onRun,
    jobs: options.jobs,
    afterJob: options.afterJob,
  });
  const conclusion = Object.values(prRun).some((j) => j.result === 'failure')
    ? 'failure'
    : 'success';
  github.addWorkflowRun({
    id: options.runId,
    name: 'pr',
    headSha: head.sha,
    headBranch: head.branch,
    jobs: Object.entries(prRun).map(([name, job]) => ({
      name,
      conclusion: job.result,
      steps: job.steps.map((s) => ({ name: stepName(s.step), conclusion: s.outcome })),
    })),
  });
  const payload = workflowRunEvent(runId, head, conclusion);
  const repo = options.env['GITHUB_REPOSITORY']!;
  Object.assign(payload['workflow_run'] as object, { html_url: runUrl(repo, runId) });
  const commentRun = await runWorkflow(options.commentWorkflow ?? prComment, {
    source: options.base ?? options.source,
    eventName: 'workflow_run',
    payload: event(payload),
    token: options.commentToken,
    runId: String(options.runId + 10_000),
    artifacts: options.artifacts,
    artifactDir: options.artifactDir,
    env: { ...options.env, GITHUB_REF: 'refs/heads/main' },
  });
  return { prRun, commentRun };
}
