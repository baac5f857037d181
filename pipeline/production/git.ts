/**
 * The git binary, run with a fixed identity and, when given, an HTTP credential
 * for this one command. The store needs stdin (hash-object, mktree), which
 * simple-git does not give, so this runs `git` through execFile directly.
 *
 * The credential goes in as actions/checkout passes its token (an
 * `http.extraheader` for this command only), but through git's
 * GIT_CONFIG_COUNT environment rather than `-c`, so it is in no argv; and every
 * message this module makes has the token and its header redacted.
 */
import { execFile } from 'node:child_process';
import { PipelineError } from '../errors.js';

export interface GitOptions {
  /** An HTTP credential for the remote (a GitHub token): basic auth as x-access-token. */
  token?: string | undefined;
  input?: string;
  /** Author and committer date of a commit made by this command. */
  date?: string;
}

export interface GitFailure {
  code: number | null;
  stderr: string;
}

function authHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

function redact(text: string, token: string | undefined): string {
  if (!token) return text;
  return text.replaceAll(authHeader(token), '***').replaceAll(token, '***');
}

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly failure: GitFailure,
  ) {
    super(`git ${args.join(' ')} failed: ${failure.stderr.trim() || `exit ${failure.code}`}`);
  }
}

function env(options: GitOptions): NodeJS.ProcessEnv {
  const identity = {
    GIT_AUTHOR_NAME: 'mlops',
    GIT_AUTHOR_EMAIL: 'mlops@users.noreply.github.com',
    GIT_COMMITTER_NAME: 'mlops',
    GIT_COMMITTER_EMAIL: 'mlops@users.noreply.github.com',
    ...(options.date ? { GIT_AUTHOR_DATE: options.date, GIT_COMMITTER_DATE: options.date } : {}),
  };
  const credential = options.token
    ? {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraheader',
        GIT_CONFIG_VALUE_0: authHeader(options.token),
      }
    : {};
  // Never prompt: a remote that wants credentials it was not given fails at once.
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', ...identity, ...credential };
}

/** Run `git args` in `cwd`; its stdout, or a GitCommandError with stderr (token redacted). */
export function git(
  cwd: string,
  args: readonly string[],
  options: GitOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { cwd, env: env(options), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !stderr)
          return reject(
            new PipelineError('remote', 'git is not installed: the production record lives in git'),
          );
        const code = typeof error.code === 'number' ? error.code : null;
        reject(new GitCommandError(args, { code, stderr: redact(String(stderr), options.token) }));
      },
    );
    // A command that exits without reading its input (a failed one) closes the
    // pipe: its exit status reports that, not the write.
    child.stdin?.on('error', () => undefined);
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}
