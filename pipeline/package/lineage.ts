/** Where a model came from: the commit, the code and the runtime that made it. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { canonicalJson, sha256Hex } from '../util/hash.js';

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

/** The source files whose content decides what a training run produces. */
const TRAINING_SOURCES = [
  '../prepare/preprocess.ts',
  '../train/fit.ts',
  '../train/network.ts',
  '../train/train.ts',
  '../train/backprop.ts',
  '../train/gemm.ts',
  '../train/activations.ts',
  '../train/optimizers.ts',
  '../train/as-dense-stack.ts',
  '../train/matmul.ts',
  '../train/wasm/gemm.c',
  '../data/split.ts',
  '../search/space.ts',
];

declare const __MLOPS_CODE_HASH__: string | undefined;

let codeHash: Promise<string> | undefined;

/**
 * Hash of the training code. From the sources when they are there; a bundled
 * action has the hash computed at build time instead.
 */
export function trainingCodeHash(): Promise<string> {
  codeHash ??= (async () => {
    if (typeof __MLOPS_CODE_HASH__ === 'string') return __MLOPS_CODE_HASH__;
    const texts = await Promise.all(
      TRAINING_SOURCES.map((rel) => readFile(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')),
    );
    return sha256Hex(texts.join('\u0000')).slice(0, 16);
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
