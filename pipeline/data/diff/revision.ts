/**
 * The dataset as a git revision's pointer records it: the pointer's text read
 * with `git show REV:path`, its object taken from the cache or pulled from the
 * remote (md5-verified), so a pull request can be compared with its base.
 */
import { dirname, relative } from 'node:path';
import { simpleGit } from 'simple-git';
import { PipelineError } from '../../errors.js';
import { parsePointer, type Pointer } from '../dvc/pointer.js';
import { openWorkspace, type Workspace } from '../dvc/workspace.js';
import { openStore, type RemoteAccess } from '../remote/open.js';
import { pickRemote } from '../dvc/config.js';
import { pullObjects } from '../remote/transfer.js';

export async function pointerAtRevision(pointerFile: string, rev: string): Promise<Pointer> {
  if (!/^[\w./@^~{}:-]+$/.test(rev) || rev.startsWith('-'))
    throw new PipelineError('usage', `"${rev}" is not a git revision`);
  const git = simpleGit({ baseDir: dirname(pointerFile) });
  let top: string;
  try {
    top = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new PipelineError(
      'data',
      `${pointerFile}: not inside a git repository, so there is no revision ${rev} to compare with`,
    );
  }
  // --quiet makes an unknown revision print nothing rather than fail loudly.
  const commit = await git.revparse(['--verify', '--quiet', `${rev}^{commit}`]).catch(() => '');
  if (!commit.trim()) {
    throw new PipelineError('usage', `git revision "${rev}" does not exist`, {
      hint: 'In CI, fetch the base branch first (actions/checkout with fetch-depth: 0).',
    });
  }
  const inRepo = relative(top, pointerFile).split('\\').join('/');
  let text: string;
  try {
    text = await git.show([`${rev}:${inRepo}`]);
  } catch {
    throw new PipelineError('data', `${inRepo} does not exist at ${rev}`, {
      hint: 'There is no earlier data to compare with; drop --data-base.',
    });
  }
  return parsePointer(pointerFile, text);
}

/** The cache path of a pointer's (single-file) object, pulled from the remote when absent. */
export async function objectFile(
  pointer: Pointer,
  label: string,
  access: RemoteAccess = {},
  ws?: Workspace,
): Promise<string> {
  const workspace = ws ?? (await openWorkspace(dirname(pointer.file)));
  const oid = pointer.out.md5;
  if (oid.endsWith('.dir'))
    throw new PipelineError('data', `${label}: names a directory; data diffs compare one file`);
  if (!(await workspace.cache.has(oid, pointer.kind))) {
    const name = typeof pointer.out['remote'] === 'string' ? pointer.out['remote'] : undefined;
    const store = openStore(pickRemote(workspace.config, name), access);
    await pullObjects(workspace.cache, store, { kind: pointer.kind, oids: [oid] });
  }
  return workspace.cache.path(oid, pointer.kind);
}
