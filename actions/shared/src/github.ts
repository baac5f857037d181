/**
 * The GitHub side of the actions: an Octokit client for the workflow's API and
 * the event that triggered the run, both as `@actions/github` reads them from the
 * runner's environment (GITHUB_API_URL, so GitHub Enterprise and test servers
 * work alike; GITHUB_EVENT_PATH, GITHUB_REPOSITORY).
 */
import * as github from '@actions/github';
import { PipelineError } from '../../../pipeline/errors.js';

export type Octokit = ReturnType<typeof github.getOctokit>;

export function client(token: string): Octokit {
  if (!token)
    throw new PipelineError('usage', 'input "github-token" is empty', {
      hint: 'Give the job a token: github-token: ${{ github.token }}',
    });
  return github.getOctokit(token);
}

export interface Repository {
  owner: string;
  repo: string;
}

export function repository(): Repository {
  const problem = () =>
    new PipelineError(
      'usage',
      `GITHUB_REPOSITORY is "${process.env['GITHUB_REPOSITORY'] ?? ''}", expected OWNER/REPO`,
    );
  let repo: Repository;
  try {
    repo = github.context.repo;
  } catch {
    throw problem();
  }
  if (!repo.owner || !repo.repo) throw problem();
  return repo;
}

/** The webhook payload of the triggering event, as the runner wrote it to GITHUB_EVENT_PATH. */
export function eventPayload(): Record<string, unknown> {
  return github.context.payload;
}

export function eventName(): string {
  return github.context.eventName ?? '';
}
