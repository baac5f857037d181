/**
 * One report comment per pull request, updated on every push. It is the newest
 * comment whose body starts with a hidden marker and whose author is the token's
 * own identity: the user a personal token belongs to, or, for an installation
 * token (GITHUB_TOKEN or a GitHub App's), which GET /user refuses and whose
 * login (`github-actions[bot]`, `<app>[bot]`) the API does not tell, a bot
 * account. A person quoting the report, even its first line, is never taken over.
 */
import type { Octokit, Repository } from './github.js';

/** GitHub refuses comment bodies longer than this. */
export const MAX_COMMENT_LENGTH = 65_536;

export interface StickyComment {
  id: number;
  url: string;
  created: boolean;
  /** Left as it was: `keep` said it holds what must not be replaced. */
  kept?: boolean;
}

export interface UpsertOptions {
  /** An existing comment with this body is left as it is (it reports something newer). */
  keep?: (body: string) => boolean;
}

interface ListedComment {
  id: number;
  body?: string | undefined;
  html_url: string;
  created_at: string;
  user?: { login: string; type: string } | null;
}

/** The token's login, or undefined for an installation token. */
async function tokenLogin(octokit: Octokit): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 401) return undefined;
    throw error;
  }
}

const HEAD_MARKER = /^<!-- mlops-report-head ([0-9a-f]{7,64}) -->$/m;

/** Records in a comment which head commit of the pull request it describes. */
export function headMarker(sha: string): string {
  return `<!-- mlops-report-head ${sha} -->`;
}

/** The commit a comment body describes, when it says. */
export function describedHead(body: string): string | undefined {
  return HEAD_MARKER.exec(body)?.[1];
}

export function fitComment(body: string, marker: string): string {
  const marked = body.trimStart().startsWith(marker) ? body : `${marker}\n${body}`;
  if (marked.length <= MAX_COMMENT_LENGTH) return marked;
  const note = '\n\n…the report was cut to fit a comment; the full text is in the run artifact.\n';
  return marked.slice(0, MAX_COMMENT_LENGTH - note.length) + note;
}

/** Ours, newest first: marked on the first line, written by this token's identity. */
function ours(comments: ListedComment[], marker: string, login: string | undefined) {
  return comments
    .filter(
      (c) =>
        (c.body ?? '').trimStart().startsWith(marker) &&
        (login ? c.user?.login === login : c.user?.type === 'Bot'),
    )
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
}

export interface FoundComment {
  id: number;
  url: string;
  body: string;
}

/** Our newest comment starting with `marker` on the issue or pull request, by the rule upsertComment updates by. */
export async function findComment(
  octokit: Octokit,
  target: Repository & { issue_number: number },
  marker: string,
): Promise<FoundComment | undefined> {
  const login = await tokenLogin(octokit);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...target,
    per_page: 100,
  });
  const found = ours(comments, marker, login)[0];
  return found ? { id: found.id, url: found.html_url, body: found.body ?? '' } : undefined;
}

export async function upsertComment(
  octokit: Octokit,
  target: Repository & { issue_number: number },
  body: string,
  marker: string,
  options: UpsertOptions = {},
): Promise<StickyComment> {
  const login = await tokenLogin(octokit);
  const text = fitComment(body, marker);
  const list = () =>
    octokit.paginate(octokit.rest.issues.listComments, { ...target, per_page: 100 });

  // Another bot's comment that starts with the marker cannot be edited by us (403):
  // the next one is tried, and in the end a comment of our own is made.
  const refused = new Set<number>();
  const update = async (candidates: ListedComment[]): Promise<StickyComment | undefined> => {
    for (const c of candidates.filter((x) => !refused.has(x.id))) {
      if (options.keep?.(c.body ?? ''))
        return { id: c.id, url: c.html_url, created: false, kept: true };
      try {
        const { data } = await octokit.rest.issues.updateComment({
          owner: target.owner,
          repo: target.repo,
          comment_id: c.id,
          body: text,
        });
        return { id: data.id, url: data.html_url, created: false };
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status !== 403 && status !== 404) throw error;
        refused.add(c.id);
      }
    }
    return undefined;
  };

  const found = await update(ours(await list(), marker, login));
  if (found) return found;
  // Listed again just before creating: another run may have made the comment meanwhile.
  const late = await update(ours(await list(), marker, login));
  if (late) return late;
  const { data } = await octokit.rest.issues.createComment({ ...target, body: text });
  return { id: data.id, url: data.html_url, created: true };
}
