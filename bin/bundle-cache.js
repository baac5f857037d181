// Start-up cost of `mlops`: loading ~100 TypeScript files through tsx's loader
// hooks takes about a second before any work starts. When esbuild is available,
// the CLI is bundled once into node_modules/.cache/mlops/ and reused until a
// source file changes, so an edit is still live on the next call.
// MLOPS_CACHE_DIR puts the bundle elsewhere (a test building its own).
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = process.env.MLOPS_CACHE_DIR || join(root, 'node_modules', '.cache', 'mlops');
const bundle = join(cacheDir, 'mlops.mjs');
const stampFile = join(cacheDir, 'mlops.stamp');

/**
 * Modification times of the files that went into the bundle (esbuild's metafile
 * lists them) and of the lockfile: any edit changes it, and a new file only
 * matters once an edited one imports it.
 */
function stampOf(inputs) {
  return [join(root, 'package-lock.json'), ...inputs]
    .map((f) => `${f}:${statSync(f).mtimeMs}`)
    .join('\n');
}

// Each module keeps its own import.meta.url (lineage.ts reads the training
// sources relative to it), as if it had not been bundled.
const keepImportMetaUrl = {
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

// Packages published as CommonJS only. Imported from ESM, Node first scans each
// one's source for its export names (cjs-module-lexer): for tfjs's and DuckDB's
// multi-megabyte files that doubles their load time. The bundle require()s them.
const COMMONJS = /^(@tensorflow\/tfjs-(core|layers|backend-cpu|backend-wasm)|@duckdb\/node-api)$/;

const requireCommonJs = {
  name: 'require-commonjs',
  setup(build) {
    build.onResolve({ filter: COMMONJS }, (args) =>
      // The require() inside the wrapper below stays a runtime require.
      args.namespace === 'cjs'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'cjs' },
    );
    build.onLoad({ filter: /.*/, namespace: 'cjs' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** The path of an up-to-date bundle of the CLI, or undefined to run the sources through tsx. */
export async function cachedBundle() {
  try {
    try {
      const saved = JSON.parse(readFileSync(stampFile, 'utf8'));
      if (saved.stamp === stampOf(saved.inputs)) return bundle;
    } catch {
      // No bundle yet, or a source was removed.
    }
    const esbuild = await import('esbuild');
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${bundle}.${process.pid}.tmp`;
    const result = await esbuild.build({
      entryPoints: [join(root, 'pipeline', 'cli', 'main.ts')],
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      metafile: true,
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      plugins: [keepImportMetaUrl, requireCommonJs],
    });
    const inputs = Object.keys(result.metafile.inputs)
      .filter((f) => !f.startsWith('cjs:'))
      .map((f) => join(root, f));
    renameSync(tmp, bundle);
    const stampTmp = `${stampFile}.${process.pid}.tmp`;
    writeFileSync(stampTmp, JSON.stringify({ inputs, stamp: stampOf(inputs) }));
    renameSync(stampTmp, stampFile);
    return bundle;
  } catch {
    return undefined;
  }
}
