/**
 * A TypeScript or JavaScript file of the team's repository, imported: a model
 * module (kind tfjs) or a trainer of the team's own.
 *
 * esbuild (already the bundler of the CLI and the actions) compiles it and its
 * local imports into one temporary ES module, so TypeScript needs no loader.
 * Its TensorFlow.js, zod and `mlops-pipeline/trainer` imports are the
 * pipeline's own loaded modules, handed over through globalThis rather than
 * by a path into node_modules: one tfjs instance, one backend and its kernels,
 * a model that the pipeline can train and save, and zod schemas the pipeline
 * can read, whether the pipeline runs from its sources or from an action's
 * bundle, which has no node_modules.
 */
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type * as Esbuild from 'esbuild';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as zod from 'zod';
import type { PipelineError } from '../../errors.js';
import { publishSharedModules, SHARED_MODULES_KEY } from '../../model/custom-layers.js';
import * as trainerEntry from './define-trainer.js';

/**
 * What the team's code imports by these names is the pipeline's own module
 * object. `mlops-pipeline/trainer` is the public entry a trainer file imports
 * defineTrainer from (package.json `exports`).
 */
const SHARED: Record<string, object> = {
  '@tensorflow/tfjs-core': tfc,
  '@tensorflow/tfjs-layers': tfl,
  zod,
  'mlops-pipeline/trainer': trainerEntry,
};
const NAMESPACE = 'mlops-shared';

/**
 * Resolves the shared names to a generated module that re-exports the object
 * published under SHARED_MODULES_KEY: every export it has now, and a default export
 * (the module's own, or the whole module, as Node gives a CommonJS module).
 */
const sharedModules: Esbuild.Plugin = {
  name: 'mlops-shared-modules',
  setup(build) {
    // Package names only (not ./ or ../ paths); the others resolve as usual.
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      Object.hasOwn(SHARED, args.path) ? { path: args.path, namespace: NAMESPACE } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
      const keys = Object.keys(SHARED[args.path]!).filter((k) => k !== 'default');
      const m = `globalThis[Symbol.for(${JSON.stringify(SHARED_MODULES_KEY.description)})][${JSON.stringify(args.path)}]`;
      return {
        contents: [
          `const m = ${m};`,
          ...keys.map((k, i) => `const e${i} = m[${JSON.stringify(k)}];`),
          `export { ${keys.map((k, i) => `e${i} as ${JSON.stringify(k)}`).join(', ')} };`,
          `export default 'default' in m ? m.default : m;`,
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/** Makes the error that names the file for the one who wrote it. */
export type ModuleFailure = (message: string, cause?: unknown) => PipelineError;

export interface RepositoryModule {
  exports: Record<string, unknown>;
  /** Repository files (relative to `dir`) the module is made of: it and its local imports. */
  files: string[];
  /**
   * The bundle esbuild made of it, without its source map (whose paths lead
   * to a temporary folder): what a saved model carries when it needs the
   * module's layer classes (model/custom-layers.ts).
   */
  code: Uint8Array;
}

/** Bundles `file` (relative to `dir`) with its local imports and imports the bundle. */
export async function importRepositoryModule(
  dir: string,
  file: string,
  fail: ModuleFailure,
): Promise<RepositoryModule> {
  // Loaded only here: the built-in kinds never start it (in an action's bundle, the
  // vendored binary is unpacked on this import; scripts/build-actions.ts).
  const esbuild = await import('esbuild');
  publishSharedModules(SHARED);
  const folder = await mkdtemp(join(tmpdir(), 'mlops-model-'));
  const bundle = join(folder, 'module.mjs');
  let result: Esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: [resolve(dir, file)],
      bundle: true,
      write: false,
      metafile: true,
      // Written beside the bundle's real place, so the map's paths lead back to the repository's files.
      outfile: bundle,
      sourcemap: 'inline',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'silent',
      plugins: [sharedModules],
    });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    const first = (error as { errors?: Esbuild.Message[] }).errors?.[0];
    if (!first) throw fail(String(error), error);
    const at = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw fail(`${at}${first.text}`, error);
  }
  const files = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith(`${NAMESPACE}:`))
    .map((f) => relative(dir, resolve(dir, f)).split('\\').join('/'))
    .sort();
  let exports: Record<string, unknown>;
  try {
    // A throw in the team's code then names its own file and line, not the bundle's.
    process.setSourceMapsEnabled(true);
    await writeFile(bundle, result.outputFiles[0]!.contents);
    exports = (await import(/* @vite-ignore */ pathToFileURL(bundle).href)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    const at = thrownAt(error, dir);
    throw fail(
      `loading it threw${at ? ` at ${at}` : ''}: ${(error as Error).message ?? error}`,
      error,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  const code = new TextEncoder().encode(
    result.outputFiles[0]!.text.replace(/\n\/\/# sourceMappingURL=data:[^\n]*\n?$/, '\n'),
  );
  return { exports, files, code };
}

/**
 * Where in the repository's files an error was thrown: `trainers/knn.ts:14:11`,
 * read from its stack (mapped through the bundle's source map), or undefined.
 */
export function thrownAt(error: unknown, dir: string): string | undefined {
  const stack = (error as Error | undefined)?.stack ?? '';
  for (const match of stack.matchAll(/\(?(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):(\d+)\)?/g)) {
    const path = match[1]!.startsWith('file:') ? fileURLToPath(match[1]!) : match[1]!;
    const rel = relative(dir, path);
    if (rel && !rel.startsWith('..') && !rel.includes('node_modules'))
      return `${rel.split('\\').join('/')}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
