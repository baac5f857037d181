/**
 * Which trainer makes a model of each `model.kind`: a built-in one, or the
 * trainer file of the team's own that the kind names (user-trainer.ts). The
 * record is typed by the schema's built-in kinds, so a kind added there
 * without a trainer does not compile.
 */
import { closest, distance } from 'fastest-levenshtein';
import { BUILT_IN_KINDS, isUserKind, type ModelConfig } from '../../config/schema.js';
import { PipelineError } from '../../errors.js';
import { initBackend } from '../backend.js';
import { denseTrainer } from './dense.js';
import { loadModelModule } from './model-module.js';
import { tfjsTrainer } from './tfjs.js';
import type { ResolvedTrainer } from './types.js';
import { findTrainerFile, loadUserTrainer, trainerFiles } from './user-trainer.js';

type BuiltInKind = (typeof BUILT_IN_KINDS)[number];

/** A function, not a record of trainers: a model module is loaded from its folder. */
const BUILT_IN: Record<BuiltInKind, (dir: string) => ResolvedTrainer> = {
  linear: () => denseTrainer,
  mlp: () => denseTrainer,
  tfjs: (dir) => ({
    ...tfjsTrainer,
    // model.fit computes the gradients on the backend that loads.
    engine: async (choice) => `tfjs (${await initBackend(choice.backend)})`,
    paramsSchema: async (model: ModelConfig) =>
      model.module ? (await loadModelModule(dir, model.module)).params : undefined,
  }),
};

/**
 * The trainer of `kind`; for a kind that is not built in, the trainer file
 * beside mlops.yaml (in `dir`) that it names, bundled and imported.
 */
export async function trainerFor(kind: string, dir: string): Promise<ResolvedTrainer> {
  if (!isUserKind(kind)) return BUILT_IN[kind as BuiltInKind](dir);
  const file = findTrainerFile(dir, kind);
  if (file) return loadUserTrainer(dir, kind, file);
  const near = closest(kind, [...BUILT_IN_KINDS]);
  const suggestion = distance(kind, near) <= 2 ? ` (did you mean "${near}"?)` : '';
  throw new PipelineError(
    'config',
    `model.kind: "${kind}" is not a built-in kind${suggestion} (${BUILT_IN_KINDS.join(', ')}), and no trainer file names it: looked for ${trainerFiles(kind).join(', ')} beside the config`,
    {
      hint: 'A trainer of your own is one file, trainers/<kind>.ts, whose default export is defineTrainer({ params, fit }) (docs/custom-models.md).',
    },
  );
}
