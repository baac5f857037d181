/**
 * The GitHub side of the actions: an Octokit client for the workflow's API
 * (GITHUB_API_URL, so GitHub Enterprise and test servers work alike) and the
 * event that triggered the run.
 */
import * as github from '@actions/github';
import { readFileSync } from 'node:fs';
import { PipelineError } from '../../../pipeline/errors.js';

export type Octokit = ReturnType<typeof github.getOctokit>;

export function client(token: string): Octokit {
  if (!token)
    throw new PipelineError('usage', 'input "github-token" is empty', {
      hint: 'Give the job a token: github-token: ${{ github.token }}',
    });
  return github.getOctokit(token, {
    baseUrl: process.env['GITHUB_API_URL'] || 'https://api.github.com',
  });
}

export interface Repository {
  owner: string;
  repo: string;
}

export function repository(): Repository {
  const full = process.env['GITHUB_REPOSITORY'] ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo)
    throw new PipelineError('usage', `GITHUB_REPOSITORY is "${full}", expected OWNER/REPO`);
  return { owner, repo };
}

/** The webhook payload of the triggering event, as the runner wrote it to GITHUB_EVENT_PATH. */
export function eventPayload(): Record<string, unknown> {
  const path = process.env['GITHUB_EVENT_PATH'];
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new PipelineError('usage', `GITHUB_EVENT_PATH ${path}: cannot read the event`, {
      cause: error,
    });
  }
}

export function eventName(): string {
  return process.env['GITHUB_EVENT_NAME'] ?? '';
}
