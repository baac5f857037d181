/**
 * A data-refresh request sent to GitHub as a `repository_dispatch` event of
 * type `drift-alert`: `POST /repos/{owner}/{repo}/dispatches`, which needs a
 * fine-grained token with "Contents: write" on that repository and nothing else.
 * One HTTP call, so no client library: fetch with GitHub's media type and API
 * version. The token never appears in a message.
 */
import { PipelineError } from '../errors.js';
import type { RefreshRequest } from '../monitor/refresh-request.js';
import { clip } from '../util/text.js';

export const DISPATCH_EVENT = 'drift-alert';

export interface DispatchTarget {
  /** https://api.github.com, or a GitHub Enterprise Server's /api/v3. */
  apiUrl: string;
  /** owner/name */
  repo: string;
  token: string;
}

const HINTS: Record<number, string> = {
  401: 'The token is wrong or expired: write a new one into the token file.',
  403: 'The token needs "Contents: write" on this repository (fine-grained), or the repo scope (classic).',
  404: 'No such repository for this token: check --repo, and that the token is granted this repository.',
  422: 'GitHub refused the payload (client_payload has at most 10 top-level keys).',
};

export async function sendRepositoryDispatch(
  target: DispatchTarget,
  request: RefreshRequest,
): Promise<void> {
  const url = `${target.apiUrl.replace(/\/+$/, '')}/repos/${target.repo}/dispatches`;
  const hide = (text: string) => text.split(target.token).join('***');
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${target.token}`,
        'content-type': 'application/json',
        'user-agent': 'mlops-monitor',
        'x-github-api-version': '2022-11-28',
      },
      body: JSON.stringify({ event_type: DISPATCH_EVENT, client_payload: request }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
    throw new PipelineError(
      'remote',
      `cannot reach ${url} (${hide(cause ?? (error as Error).message)})`,
    );
  }
  if (res.status === 204) return;
  const text = await res.text().catch(() => '');
  let message = text;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    // Not JSON (a proxy's page): the text itself, clipped.
  }
  throw new PipelineError(
    'remote',
    `GitHub answered ${res.status} to the dispatch on ${target.repo}: ${hide(clip(message, 200))}`,
    { hint: HINTS[res.status] },
  );
}
