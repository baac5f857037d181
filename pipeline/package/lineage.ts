/** Where a model came from: the commit, the code and the runtime that made it. */
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { hashTrainingCode, trainingCode } from './training-code.js';

export async function gitState(
  dir: string,
): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const git = simpleGit({ baseDir: dir });
    if (!(await git.checkIsRepo())) return { commit: null, dirty: null };
    const commit = (await git.revparse(['HEAD'])).trim();
    const status = await git.status();
    return { commit, dirty: !status.isClean() };
  } catch {
    // A repository with no commit yet, or no git at all: the lineage says so.
    return { commit: null, dirty: null };
  }
}

declare const __MLOPS_CODE_HASH__: string | undefined;

/** The repository this module belongs to (the CLI bundle keeps each module's import.meta.url). */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let codeHash: Promise<string> | undefined;

/**
 * Hash of the training code: the modules training reaches and the packages they
 * run on (training-code.ts). The CLI always has the sources beside it, so it
 * follows the imports each time (a few tens of milliseconds). An action bundle
 * has neither sources nor node_modules: scripts/build-actions.ts calls this same
 * function when it bundles and defines the result as a constant, and the bundle
 * freshness test rebuilds and compares, so the constant cannot go stale
 * unnoticed. `root` is for tests that hash a changed copy of the repository.
 */
export function trainingCodeHash(root?: string): Promise<string> {
  if (root !== undefined) return trainingCode(root).then(hashTrainingCode);
  codeHash ??= (async () => {
    if (typeof __MLOPS_CODE_HASH__ === 'string') return __MLOPS_CODE_HASH__;
    return hashTrainingCode(await trainingCode(REPO_ROOT));
  })();
  return codeHash;
}

export function modelVersion(parts: {
  dataMd5: string;
  configHash: string;
  codeHash: string;
}): string {
  return sha256Hex(canonicalJson(parts)).slice(0, 12);
}
