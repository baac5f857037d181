/** Where a model came from: the commit, the code and the runtime that made it. */
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import type { ModelConfig } from '../config/schema.js';
import { PipelineError } from '../errors.js';
import { trainerFor } from '../train/trainers/registry.js';
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

/**
 * The training code hash of a model: the pipeline's (trainingCodeHash) and,
 * when its trainer names files beside mlops.yaml (a tfjs model module), those
 * files and every local file they import, found by the same import graph.
 */
export async function modelCodeHash(dir: string, model: ModelConfig): Promise<string> {
  const base = await trainingCodeHash();
  const entries = (await trainerFor(model.kind, dir)).codeEntries?.(model) ?? [];
  if (!entries.length) return base;
  let code;
  try {
    code = await trainingCode(dir, entries);
  } catch (error) {
    const first = (
      error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }
    ).errors?.[0];
    const at = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new PipelineError(
      'config',
      `${model.kind === 'tfjs' ? 'model.module' : `model.kind ${model.kind}:`} ${entries.join(', ')}: ${at}${first?.text ?? (error as Error).message}`,
      { cause: error },
    );
  }
  return sha256Hex(canonicalJson({ pipeline: base, model: hashTrainingCode(code) })).slice(0, 16);
}

/**
 * The content hash of what decides the weights: the data, the config, the
 * training code, and the engine that computes the gradients (Trainer.engine):
 * the dense engine's WebAssembly and JavaScript kernels, or two tfjs backends,
 * round differently, so a pull request and a deploy that train on different
 * engines get different versions, never other weights under one version.
 */
export function modelVersion(parts: {
  dataMd5: string;
  configHash: string;
  codeHash: string;
  engine: string;
}): string {
  return sha256Hex(canonicalJson(parts)).slice(0, 12);
}
