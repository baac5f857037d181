/**
 * The git side of a proposal: stage what changed under the given pathspecs,
 * commit it on the branch and force-push the branch to origin. The token goes
 * to git as actions/checkout hands it over (an http.extraheader), for each
 * command that needs it only, through pipeline/production/git.ts: it is in no
 * argv, no remote URL and no .git/config, so nothing later in the job finds it.
 */
import { GitCommandError, git } from '../../../pipeline/production/git.js';
import { PipelineError } from '../../../pipeline/errors.js';

/** Stage the paths (new, changed and removed files); the staged files, none when nothing changed. */
export async function stage(workspace: string, paths: readonly string[]): Promise<string[]> {
  try {
    await git(workspace, ['add', '--all', '--', ...paths]);
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    throw new PipelineError('usage', `input "paths": ${error.failure.stderr.trim()}`, {
      hint: 'Name files of the repository, or git pathspecs that match some (e.g. "*.dvc").',
    });
  }
  const staged = await git(workspace, ['diff', '--cached', '--name-only', '-z']);
  return staged.split('\0').filter(Boolean);
}

/** Commit what is staged on `branch` (from HEAD) and force-push it: a rerun moves the branch. */
export async function commitAndPush(
  workspace: string,
  request: { branch: string; title: string; token: string },
): Promise<void> {
  try {
    await git(workspace, ['switch', '--force-create', request.branch]);
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    throw new PipelineError('usage', `input "branch": ${error.failure.stderr.trim()}`);
  }
  await git(workspace, ['commit', '--quiet', '--message', request.title]);
  try {
    await git(workspace, ['push', '--force', 'origin', `HEAD:refs/heads/${request.branch}`], {
      token: request.token || undefined,
    });
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    throw new PipelineError(
      'remote',
      `cannot push the branch ${request.branch}: ${error.message}`,
      {
        hint: "The token needs contents: write on the repository (the job's permissions, or the MLOPS_PR_TOKEN given).",
      },
    );
  }
}
