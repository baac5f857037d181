/**
 * A GitHub REST API on 127.0.0.1 for the operations the actions use: who the
 * token is, pull requests by head (listed, opened, edited), issue comments and
 * the jobs of a workflow run, and the pull requests merged as a commit. Every request is first checked against GitHub's OpenAPI description; one
 * that does not match is answered 422 and recorded, and tests assert there were
 * none. The jobs answer is checked against the description too. Tokens carry
 * permissions as GITHUB_TOKEN does: a read-only token cannot comment.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openApi } from './openapi.js';

export interface TokenInfo {
  /** null: an installation token (GITHUB_TOKEN), which GET /user refuses. */
  login: string | null;
  /** The login its comments are shown under. */
  actor: string;
  pullRequestsWrite: boolean;
  /** actions: read, which listing a run's jobs needs; granted unless false. */
  actionsRead?: boolean;
  /** contents: write, which a repository_dispatch needs; granted unless false. */
  contentsWrite?: boolean;
}

/** A job of a finished workflow run, as the runner reports it: steps by name and outcome. */
export interface RunJob {
  name: string;
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out';
  steps: { name: string; conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' }[];
}

export interface WorkflowRunRecord {
  id: number;
  name: string;
  headSha: string;
  headBranch: string;
  jobs: RunJob[];
}

export interface PullRequest {
  number: number;
  headRef: string;
  headSha: string;
  /** owner/name of the head repository: a fork's for a fork's pull request. */
  headRepo: string;
  state?: 'open' | 'closed';
  /** Set once merged: the commit its merge made on the base branch (merge, squash or rebase). */
  mergeCommitSha?: string;
  title?: string;
  body?: string;
  base?: string;
}

export interface Comment {
  id: number;
  body: string;
  user: { login: string; id: number; type: string };
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  body?: unknown;
}

export interface GitHubServer {
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  comments(issue: number): Comment[];
  addComment(issue: number, login: string, body: string): Comment;
  /** Opens a pull request, or moves the head of the one with that number (a push). */
  addPull(pull: PullRequest): void;
  addWorkflowRun(run: WorkflowRunRecord): void;
  /** Every pull request, as opened, pushed to or edited through the API. */
  pulls(): PullRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (!chunks.length) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startGitHubServer(options: {
  repo: string;
  tokens: Record<string, TokenInfo>;
}): Promise<GitHubServer> {
  const checker = openApi();
  const comments = new Map<number, Comment[]>();
  const pulls: PullRequest[] = [];
  const runs = new Map<number, WorkflowRunRecord>();
  let nextJobId = 50_000;
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  let nextId = 1000;
  let base = '';

  const makeComment = (issue: number, login: string, body: string): Comment => {
    const now = new Date().toISOString();
    const id = nextId++;
    const c: Comment = {
      id,
      body,
      user: { login, id: login.length * 1000 + 7, type: login.endsWith('[bot]') ? 'Bot' : 'User' },
      html_url: `https://github.com/${options.repo}/pull/${issue}#issuecomment-${id}`,
      created_at: now,
      updated_at: now,
    };
    comments.set(issue, [...(comments.get(issue) ?? []), c]);
    return c;
  };

  // Ids are fixed once per job, as GitHub's are.
  const jobIds = new Map<RunJob, number>();
  const jobJson = (run: WorkflowRunRecord, job: RunJob) => {
    const id = jobIds.get(job) ?? nextJobId++;
    jobIds.set(job, id);
    const time = new Date(0).toISOString();
    const api = `${base}/repos/${options.repo}`;
    const ran = job.conclusion !== 'skipped';
    return {
      id,
      run_id: run.id,
      run_url: `${api}/actions/runs/${run.id}`,
      run_attempt: 1,
      node_id: `CR_${id}`,
      head_sha: run.headSha,
      head_branch: run.headBranch,
      workflow_name: run.name,
      url: `${api}/actions/jobs/${id}`,
      html_url: `https://github.com/${options.repo}/actions/runs/${run.id}/job/${id}`,
      status: 'completed',
      conclusion: job.conclusion,
      created_at: time,
      started_at: time,
      completed_at: time,
      name: job.name,
      // GitHub adds a first and a last step of its own to every job that ran.
      steps: ran
        ? [
            { name: 'Set up job', conclusion: 'success' },
            ...job.steps,
            { name: 'Complete job', conclusion: 'success' },
          ].map((s, i) => ({
            name: s.name,
            status: 'completed',
            conclusion: s.conclusion,
            number: i + 1,
            started_at: time,
            completed_at: time,
          }))
        : [],
      check_run_url: `${api}/check-runs/${id}`,
      labels: ['ubuntu-latest'],
      runner_id: ran ? 1 : null,
      runner_name: ran ? 'GitHub Actions 1' : null,
      runner_group_id: ran ? 0 : null,
      runner_group_name: ran ? 'GitHub Actions' : null,
    };
  };

  const pullJson = (p: PullRequest) => ({
    number: p.number,
    state: p.state ?? 'open',
    title: p.title ?? '',
    body: p.body ?? '',
    html_url: `https://github.com/${options.repo}/pull/${p.number}`,
    head: {
      ref: p.headRef,
      sha: p.headSha,
      label: `${p.headRepo.split('/')[0]}:${p.headRef}`,
      repo: { full_name: p.headRepo },
    },
    base: { ref: p.base ?? 'main', repo: { full_name: options.repo } },
  });

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const page = <T>(res: ServerResponse, url: URL, items: T[]) => {
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const n = Number(url.searchParams.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const u = new URL(url.pathname + url.search, base);
      u.searchParams.set('page', String(p));
      return u.href;
    };
    const links = n < last ? [`<${link(n + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`] : [];
    send(
      res,
      200,
      items.slice((n - 1) * perPage, n * perPage),
      links.length ? { link: links.join(', ') } : {},
    );
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      let body: unknown;
      try {
        body = await readBody(req);
      } catch {
        violations.push(`${req.method} ${url.pathname}: body is not JSON`);
        return send(res, 400, { message: 'Problems parsing JSON' });
      }
      const op = checker.check(req.method ?? 'GET', url, body);
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        body,
        ...('operationId' in op ? { operationId: op.operationId } : {}),
      });
      if ('error' in op) {
        violations.push(op.error);
        return send(res, 422, { message: op.error });
      }
      const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const token = auth ? options.tokens[auth] : undefined;
      if (!token) return send(res, 401, { message: 'Bad credentials' });
      const [owner, repo] = options.repo.split('/');
      if (op.params['owner'] && (op.params['owner'] !== owner || op.params['repo'] !== repo))
        return send(res, 404, { message: 'Not Found' });
      const forbidden = () => send(res, 403, { message: 'Resource not accessible by integration' });
      switch (op.operationId) {
        case 'users/get-authenticated':
          if (!token.login) return forbidden();
          return send(res, 200, { login: token.login, id: 1, type: 'User' });
        case 'pulls/list': {
          const head = url.searchParams.get('head');
          const state = url.searchParams.get('state') ?? 'open';
          const found = pulls.filter(
            (p) =>
              (state === 'all' || (p.state ?? 'open') === state) &&
              (!head || head === `${p.headRepo.split('/')[0]}:${p.headRef}`),
          );
          return page(res, url, found.map(pullJson));
        }
        case 'pulls/create': {
          if (!token.pullRequestsWrite) return forbidden();
          const given = body as { head: string; base: string; title?: string; body?: string };
          // A head of this repository is its branch name; a fork's is `owner:branch`.
          const [headOwner, headRef] = given.head.includes(':')
            ? given.head.split(':')
            : [owner!, given.head];
          const headRepo = `${headOwner}/${repo}`;
          if (
            pulls.some(
              (p) =>
                (p.state ?? 'open') === 'open' && p.headRef === headRef && p.headRepo === headRepo,
            )
          )
            // GitHub's answer to a second pull request from the same head.
            return send(res, 422, {
              message: 'Validation Failed',
              errors: [
                {
                  resource: 'PullRequest',
                  code: 'custom',
                  message: `A pull request already exists for ${headOwner}:${headRef}.`,
                },
              ],
            });
          const number = Math.max(0, ...pulls.map((p) => p.number)) + 1;
          const pull: PullRequest = {
            number,
            headRef: headRef!,
            headSha: '',
            headRepo,
            state: 'open',
            title: given.title ?? '',
            body: given.body ?? '',
            base: given.base,
          };
          pulls.push(pull);
          return send(res, 201, pullJson(pull));
        }
        case 'pulls/update': {
          if (!token.pullRequestsWrite) return forbidden();
          const pull = pulls.find((p) => p.number === Number(op.params['pull_number']));
          if (!pull) return send(res, 404, { message: 'Not Found' });
          const edit = body as { title?: string; body?: string };
          if (edit.title !== undefined) pull.title = edit.title;
          if (edit.body !== undefined) pull.body = edit.body;
          return send(res, 200, pullJson(pull));
        }
        case 'repos/list-pull-requests-associated-with-commit': {
          const sha = op.params['commit_sha'];
          const merged = pulls.filter((p) => p.mergeCommitSha === sha);
          return send(
            res,
            200,
            merged.map((p) => ({
              number: p.number,
              state: 'closed',
              merge_commit_sha: p.mergeCommitSha,
              merged_at: new Date(0).toISOString(),
              head: {
                ref: p.headRef,
                sha: p.headSha,
                label: `${p.headRepo.split('/')[0]}:${p.headRef}`,
                repo: { full_name: p.headRepo },
              },
              base: { ref: 'main', repo: { full_name: options.repo } },
            })),
          );
        }
        case 'actions/list-jobs-for-workflow-run': {
          if (token.actionsRead === false) return forbidden();
          const run = runs.get(Number(op.params['run_id']));
          if (!run) return send(res, 404, { message: 'Not Found' });
          const jobs = run.jobs.map((j) => jobJson(run, j));
          const answer = { total_count: jobs.length, jobs };
          const wrong = checker.checkResponse(op, 200, answer);
          if (wrong) violations.push(wrong);
          return send(res, 200, answer);
        }
        case 'issues/list-comments':
          return page(res, url, comments.get(Number(op.params['issue_number'])) ?? []);
        case 'issues/create-comment': {
          if (!token.pullRequestsWrite) return forbidden();
          const issue = Number(op.params['issue_number']);
          if (!pulls.some((p) => p.number === issue))
            return send(res, 404, { message: 'Not Found' });
          return send(res, 201, makeComment(issue, token.actor, (body as { body: string }).body));
        }
        case 'issues/update-comment': {
          if (!token.pullRequestsWrite) return forbidden();
          const id = Number(op.params['comment_id']);
          const c = [...comments.values()].flat().find((x) => x.id === id);
          if (!c) return send(res, 404, { message: 'Not Found' });
          if (c.user.login !== token.actor) return forbidden();
          c.body = (body as { body: string }).body;
          c.updated_at = new Date().toISOString();
          return send(res, 200, c);
        }
        case 'repos/create-dispatch-event':
          // Needs "Contents: write" (fine-grained) or the repo scope; the event is in `requests`.
          if (token.contentsWrite === false) return forbidden();
          res.writeHead(204).end();
          return;
        default:
          violations.push(`${op.operationId}: valid, but not an operation this server answers`);
          return send(res, 501, { message: `${op.operationId} is not served here` });
      }
    })().catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    violations,
    comments: (issue) => comments.get(issue) ?? [],
    addComment: makeComment,
    addPull: (p) => {
      const open = pulls.findIndex((x) => x.number === p.number);
      if (open >= 0) pulls[open] = p;
      else pulls.push(p);
    },
    addWorkflowRun: (run) => void runs.set(run.id, run),
    pulls: () => pulls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
