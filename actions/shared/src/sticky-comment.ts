/**
 * One report comment per pull request, updated on every push. It is found by a
 * hidden marker in its body and by its author being the token's own user, so a
 * human quoting the report, or another bot, never has their comment taken over.
 */
import type { Octokit, Repository } from './github.js';

/** GitHub refuses comment bodies longer than this. */
export const MAX_COMMENT_LENGTH = 65_536;

/** The identity of GITHUB_TOKEN; GET /user is refused to installation tokens. */
export const WORKFLOW_TOKEN_LOGIN = 'github-actions[bot]';

export interface StickyComment {
  id: number;
  url: string;
  created: boolean;
}

async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 401) return WORKFLOW_TOKEN_LOGIN;
    throw error;
  }
}

export function fitComment(body: string, marker: string): string {
  const marked = body.includes(marker) ? body : `${marker}\n${body}`;
  if (marked.length <= MAX_COMMENT_LENGTH) return marked;
  const note = '\n\n…the report was cut to fit a comment; the full text is in the run artifact.\n';
  return marked.slice(0, MAX_COMMENT_LENGTH - note.length) + note;
}

export async function upsertComment(
  octokit: Octokit,
  target: Repository & { issue_number: number },
  body: string,
  marker: string,
): Promise<StickyComment> {
  const login = await tokenLogin(octokit);
  const text = fitComment(body, marker);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...target,
    per_page: 100,
  });
  const mine = comments.find((c) => c.user?.login === login && c.body?.includes(marker));
  if (mine) {
    const { data } = await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: mine.id,
      body: text,
    });
    return { id: data.id, url: data.html_url, created: false };
  }
  const { data } = await octokit.rest.issues.createComment({ ...target, body: text });
  return { id: data.id, url: data.html_url, created: true };
}
