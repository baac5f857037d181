/**
 * The frame every action's main runs in: errors become a failed step with one
 * annotation on the file and line they name, and the exit status the CLI uses
 * (1 a gate failed, 2 bad input, 3 a bug of ours).
 */
import * as core from '@actions/core';
import { relative } from 'node:path';
import { exitCodeFor, PipelineError } from '../../../pipeline/errors.js';

/** Annotations want a path relative to the workspace, as GitHub shows files. */
export function workspacePath(path: string): string {
  const root = process.env['GITHUB_WORKSPACE'] || process.cwd();
  const rel = relative(root, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** `main` may return an exit status of its own (a gate that failed after reporting). */
export async function runAction(main: () => Promise<number | void>): Promise<void> {
  try {
    const status = await main();
    if (status) process.exitCode = status;
  } catch (error) {
    if (error instanceof PipelineError) {
      const where = error.details.location;
      const message = error.hint ? `${error.message}\n${error.hint}` : error.message;
      core.error(message, {
        title: error.code === 'gate' ? 'Quality gate failed' : `mlops: ${error.code}`,
        ...(where
          ? {
              file: workspacePath(where.file),
              startLine: where.line,
              startColumn: where.column,
            }
          : {}),
      });
    } else {
      core.setFailed(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exitCode = exitCodeFor(error);
  }
}
