/**
 * Webhook payloads as GitHub sends them, from @octokit/webhooks-examples (real
 * payloads captured from GitHub), with the fields a test varies replaced.
 */
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as unknown;

type Payload = Record<string, unknown>;

function example(event: string, action: string | undefined): Payload {
  const found = (examples as { name: string; examples: Payload[] }[])
    .find((e) => e.name === event)
    ?.examples.find((e) => e['action'] === action);
  if (!found) throw new Error(`no ${event}.${action} example payload`);
  return structuredClone(found);
}

export interface Head {
  number: number;
  sha: string;
  branch: string;
  /** owner/name: a fork's when the pull request comes from one. */
  repo: string;
}

/** pull_request opened (first push) or synchronize (a later one). */
export function pullRequestEvent(action: 'opened' | 'synchronize', head: Head): Payload {
  const payload = example('pull_request', action);
  const pr = payload['pull_request'] as Record<string, Record<string, unknown>>;
  const [owner] = head.repo.split('/');
  payload['number'] = head.number;
  (pr as Record<string, unknown>)['number'] = head.number;
  pr['head']!['sha'] = head.sha;
  pr['head']!['ref'] = head.branch;
  pr['head']!['label'] = `${owner}:${head.branch}`;
  pr['head']!['repo'] = {
    ...(pr['head']!['repo'] as object),
    full_name: head.repo,
    fork: head.repo !== baseRepository(payload),
  };
  return payload;
}

/** workflow_run completed for a pr.yml run; pull_requests is empty, as GitHub sends it for forks. */
export function workflowRunEvent(
  runId: string,
  head: Head,
  conclusion: 'success' | 'failure',
): Payload {
  const payload = example('workflow_run', 'completed');
  const run = payload['workflow_run'] as Record<string, unknown>;
  const [owner, name] = head.repo.split('/');
  Object.assign(run, {
    id: Number(runId),
    name: 'pr',
    event: 'pull_request',
    status: 'completed',
    conclusion,
    head_sha: head.sha,
    head_branch: head.branch,
    pull_requests: [],
    head_repository: {
      ...(run['head_repository'] as object),
      full_name: head.repo,
      name,
      owner: { ...((run['head_repository'] as Payload)['owner'] as object), login: owner },
    },
  });
  return payload;
}

/** A push to the default branch, as a merge to main gives. */
export function pushEvent(sha: string): Payload {
  const payload = example('push', undefined);
  const branch = (payload['repository'] as { default_branch: string }).default_branch;
  return Object.assign(payload, { ref: `refs/heads/${branch}`, after: sha });
}

/** A maintainer's manual run, with the inputs they typed. */
export function workflowDispatchEvent(inputs: Record<string, string>): Payload {
  const payload = example('workflow_dispatch', undefined);
  return Object.assign(payload, { inputs, ref: defaultBranchRef(payload) });
}

/**
 * A repository_dispatch (POST /repos/{owner}/{repo}/dispatches) with its event
 * type and client_payload: how monitoring asks for a data refresh.
 */
export function repositoryDispatchEvent(
  type: string,
  clientPayload: Record<string, unknown>,
): Payload {
  const payload = example('repository_dispatch', 'on-demand-test');
  return Object.assign(payload, { action: type, client_payload: clientPayload });
}

export function defaultBranchRef(payload: Payload): string {
  return `refs/heads/${(payload['repository'] as { default_branch: string }).default_branch}`;
}

export function baseRepository(payload: Payload): string {
  return (payload['repository'] as { full_name: string }).full_name;
}

export async function writeEvent(dir: string, payload: Payload): Promise<string> {
  const path = join(dir, 'event.json');
  await writeFile(path, JSON.stringify(payload));
  return path;
}
