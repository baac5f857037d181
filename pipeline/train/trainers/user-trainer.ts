/**
 * A trainer of the team's own: `kind: <name>` in mlops.yaml, and the file
 * trainers/<name>.ts (or .js, .mjs) beside it, whose default export is a
 * trainer (define-trainer.ts gives its type). No edit to the pipeline: the file
 * is bundled and imported as a model module is (repository-module.ts), and its
 * model is saved, gated, served and benchmarked as a built-in one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { PipelineError } from '../../errors.js';
import { EpochLogSchema } from '../../model/metadata.js';
import { initBackend } from '../backend.js';
import type { EpochLog } from '../fit.js';
import type { UserTrainer, UserTrainerResult } from './define-trainer.js';
import { checkNetworkShape, isLayersModel } from './network-shape.js';
import { importRepositoryModule, thrownAt } from './repository-module.js';
import type { KeyOf, ResolvedTrainer } from './types.js';

const HINT = 'docs/custom-models.md ("A trainer of your own") shows what a trainer file exports.';

/** Where a kind's trainer file may be, relative to mlops.yaml's folder, in the order looked for. */
export function trainerFiles(kind: string): string[] {
  return ['ts', 'js', 'mjs'].map((ext) => `trainers/${kind}.${ext}`);
}

/** The trainer file of `kind` that exists beside mlops.yaml, if any. */
export function findTrainerFile(dir: string, kind: string): string | undefined {
  return trainerFiles(kind).find((file) => existsSync(join(dir, file)));
}

function failure(kind: string, file: string) {
  return (message: string, cause?: unknown) =>
    new PipelineError('config', `model.kind ${kind}: ${file}: ${message}`, { hint: HINT, cause });
}

function isSchema(value: unknown): value is z.ZodType {
  return typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function';
}

/** The issues of a params schema as key paths under model.params (or the search space key). */
function paramIssues(error: z.ZodError, keyOf: KeyOf): string {
  return error.issues
    .flatMap((issue) => {
      const keys =
        issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [undefined];
      return keys.map((key) => {
        const name = ['params', ...issue.path.map(String), ...(key ? [key] : [])].join('.');
        return `${keyOf(name)}: ${key ? 'unknown key' : issue.message}`;
      });
    })
    .join('; ');
}

/** Bundles, imports and checks the trainer file of `kind`; exit 2 naming the file for what is wrong. */
export async function loadUserTrainer(
  dir: string,
  kind: string,
  file: string,
): Promise<ResolvedTrainer> {
  const fail = failure(kind, file);
  const { exports, files } = await importRepositoryModule(dir, file, fail);
  const trainer = exports.default as UserTrainer | undefined;
  if (typeof trainer?.fit !== 'function')
    throw fail(
      `expected a default export defineTrainer({ params, fit }) whose fit trains the model, found ${Object.keys(exports).join(', ') || 'no exports'}`,
    );
  const schema = trainer.params;
  if (schema !== undefined && !isSchema(schema))
    throw fail('expected its params to be a zod schema of model.params');
  const parse = (params: Record<string, unknown> | undefined, keyOf: KeyOf) => {
    if (!schema) return params ?? {};
    const result = schema.safeParse(params ?? {});
    if (!result.success)
      throw fail(`its params schema refuses ${paramIssues(result.error, keyOf)}`, result.error);
    return result.data;
  };
  const modelKey: KeyOf = (name) => `model.${name}`;
  // The history goes into metadata.json, which the later stages read back with
  // EpochLogSchema: refused here, naming the trainer, not there.
  const epochLog = (log: unknown, what: string): EpochLog => {
    const parsed = EpochLogSchema.safeParse(log);
    if (parsed.success) return parsed.data;
    const found = JSON.stringify(log) ?? String(log);
    throw fail(
      `expected ${what} to be { epoch, loss, val_loss } with finite numbers, got ${found.length > 120 ? `${found.slice(0, 120)}…` : found}`,
    );
  };
  return {
    codeEntries: () => [file],
    paramsSchema: () => Promise.resolve(schema),
    engine: async (choice) => `tfjs (${await initBackend(choice.backend)})`,
    check(model, _inputSize, _outputs, _rows, keyOf) {
      parse(model.params, keyOf);
    },
    async fit(input) {
      const { model, inputSize, outputs } = input;
      const logs: EpochLog[] = [];
      const started = performance.now();
      let result: UserTrainerResult;
      try {
        result = await trainer.fit({
          params: parse(model.params, modelKey),
          model,
          task: model.task,
          seed: input.seed,
          inputSize,
          outputs,
          train: input.train,
          validation: input.validation,
          onEpoch: async (log) => {
            const checked = epochLog(log, `the log of epoch ${logs.length + 1} given to onEpoch`);
            logs.push(checked);
            await input.onEpoch?.(checked, model.epochs);
          },
          signal: input.signal,
        });
      } catch (error) {
        if (error instanceof PipelineError || input.signal?.aborted) throw error;
        const at = thrownAt(error, dir);
        throw fail(
          `its fit threw${at ? ` at ${at}` : ''}: ${(error as Error).message ?? error}`,
          error,
        );
      }
      const network: unknown = result?.network;
      if (!isLayersModel(network))
        throw fail('expected its fit to return { network } with a tfjs LayersModel');
      checkNetworkShape(
        network,
        { task: model.task, outputs, input: { size: inputSize, name: 'inputSize' } },
        fail,
      );
      const history =
        result.history?.map((log, i) => epochLog(log, `history[${i}] returned by its fit`)) ?? logs;
      const seconds = (performance.now() - started) / 1000;
      return {
        network: result.network,
        history,
        bestEpoch: result.bestEpoch ?? history.at(-1)?.epoch ?? 0,
        stoppedEarly: result.stoppedEarly ?? false,
        seconds,
        samplesPerSecond: (Math.max(history.length, 1) * input.train.rows) / seconds,
        lineage: { trainer: kind, backend: tf.getBackend(), files },
      };
    },
  };
}
