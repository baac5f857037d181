/**
 * The one pull request from a branch: found among the open ones by its head,
 * its title and body replaced; opened when there is none. Idempotent: a rerun
 * with the same branch updates the same pull request, never a second one.
 */
import { PipelineError } from '../../../pipeline/errors.js';
import type { Octokit, Repository } from '../../shared/src/github.js';

export interface Proposal {
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface ProposedPull {
  number: number;
  url: string;
  created: boolean;
}

function apiError(what: string, error: unknown, hint: string): PipelineError {
  const status = (error as { status?: number }).status;
  return new PipelineError(
    'remote',
    `cannot ${what} (HTTP ${status ?? '?'}): ${(error as Error).message}`,
    { hint },
  );
}

export async function openOrUpdate(
  octokit: Octokit,
  repo: Repository,
  proposal: Proposal,
): Promise<ProposedPull> {
  const { head, base, title, body } = proposal;
  let open;
  try {
    open = await octokit.paginate(octokit.rest.pulls.list, {
      ...repo,
      state: 'open',
      head: `${repo.owner}:${head}`,
      per_page: 100,
    });
  } catch (error) {
    throw apiError(
      `list the open pull requests from ${head}`,
      error,
      'The token needs pull-requests: read.',
    );
  }
  const existing = open[0];
  try {
    if (existing) {
      const { data } = await octokit.rest.pulls.update({
        ...repo,
        pull_number: existing.number,
        title,
        body,
      });
      return { number: data.number, url: data.html_url, created: false };
    }
    const { data } = await octokit.rest.pulls.create({ ...repo, head, base, title, body });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    throw apiError(
      existing
        ? `update pull request #${existing.number}`
        : `open a pull request from ${head} into ${base}`,
      error,
      "The token needs pull-requests: write; with the job's own token, the repository must also allow GitHub Actions to create pull requests (Settings → Actions → General).",
    );
  }
}
