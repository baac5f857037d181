/**
 * `npm run build:actions`: bundle each actions/<name>/src/index.ts (which calls main.ts's run()) into
 * actions/<name>/dist/index.js, so the runner runs it with nothing installed.
 * Native and WebAssembly parts cannot be inlined: the tfjs .wasm files are copied
 * beside each bundle that uses them, and DuckDB's native library and esbuild's
 * binary (which compiles a team's model module or trainer) are shipped once,
 * compressed, in actions/vendor/ (see actions/shared/src/vendored.ts).
 * The output depends on nothing but the sources and the lockfile, so a test can
 * rebuild into a temporary folder and compare.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { trainingCodeHash } from '../pipeline/package/lineage.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * CommonJS code inside an ESM bundle still calls require() for Node built-ins,
 * and the tfjs WebAssembly loader reads __dirname.
 */
const BANNER = [
  "import { createRequire as __mlopsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __mlopsFileURLToPath } from 'node:url';",
  'const require = __mlopsCreateRequire(import.meta.url);',
  'const __filename = __mlopsFileURLToPath(import.meta.url);',
  "const __dirname = __mlopsFileURLToPath(new URL('.', import.meta.url));",
].join('\n');

export async function actionNames(): Promise<string[]> {
  const entries = await readdir(join(root, 'actions'), { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(root, 'actions', e.name, 'src', 'main.ts')))
    .map((e) => e.name)
    .sort();
}

const duckdbBinding: Plugin = {
  name: 'duckdb-binding',
  setup(b) {
    b.onResolve({ filter: /^@duckdb\/node-bindings$/ }, () => ({
      path: join(root, 'actions', 'shared', 'src', 'duckdb-binding.ts'),
    }));
  },
};

const ESBUILD_API = join(root, 'actions', 'shared', 'src', 'esbuild.ts');

/**
 * esbuild's JavaScript API is bundled, driving the vendored binary: every
 * import of `esbuild` but the one in ESBUILD_API itself leads there.
 */
const vendoredEsbuild: Plugin = {
  name: 'vendored-esbuild',
  setup(b) {
    b.onResolve({ filter: /^esbuild$/ }, (args) =>
      args.importer === ESBUILD_API ? undefined : { path: ESBUILD_API },
    );
  },
};

/**
 * The tfjs backends register themselves on import, but their package.json lists
 * only their browser entry as having side effects: without this the Node entry
 * would be tree-shaken away and the CPU backend would silently vanish.
 */
const tfjsBackendsHaveEffects: Plugin = {
  name: 'tfjs-backends-have-effects',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-backend-(cpu|wasm)$/ }, (args) => {
      if (args.pluginData === 'resolved') return undefined;
      return b
        .resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'resolved',
        })
        .then((r) => ({ path: r.path, sideEffects: true }));
    });
  },
};

/** How every action is bundled: by the build, and by the checks of what a bundle holds. */
async function bundleOptions(): Promise<BuildOptions & { metafile: true }> {
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    define: { __MLOPS_CODE_HASH__: JSON.stringify(await trainingCodeHash()) },
    // Optional native backend: loaded from the runner's node_modules if it is ever there.
    // ssh2's native crypto and cpu-features are optional too: ssh2 requires them in a
    // try/catch and falls back to pure JavaScript, which is what the bundle ships.
    external: ['@tensorflow/tfjs-node', '*.node'],
    plugins: [duckdbBinding, vendoredEsbuild, tfjsBackendsHaveEffects],
    metafile: true,
    logLevel: 'warning',
  };
}

/** Bundle one action into `outDir`; returns the files written, relative to it. */
export async function buildAction(name: string, outDir: string): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    ...(await bundleOptions()),
    entryPoints: [join(root, 'actions', name, 'src', 'index.ts')],
    outfile: join(outDir, 'index.js'),
  });
  const files = ['index.js', 'package.json'];
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.some((p) => p.includes('tfjs-backend-wasm'))) {
    const wasmDir = dirname(
      require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm'),
    );
    for (const file of WASM_FILES) {
      await copyFile(join(wasmDir, file), join(outDir, file));
      files.push(file);
    }
  }
  return files;
}

/**
 * The files whose code ends up in an action's bundle (repository-relative, as
 * esbuild names them: `node_modules/@tensorflow/tfjs-core/…`), built in memory
 * exactly as buildAction builds it. `extra` is source bundled beside the action's
 * entry, as if its main.ts held it too.
 */
export async function bundledInputs(name: string, extra = ''): Promise<string[]> {
  const result = await build({
    ...(await bundleOptions()),
    stdin: {
      contents: `import './actions/${name}/src/index.ts';\n${extra}`,
      resolveDir: root,
      sourcefile: `actions/${name}/src/entry.ts`,
      loader: 'ts',
    },
    outfile: join(root, 'actions', name, 'dist', 'index.js'),
    write: false,
  });
  return Object.values(result.metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

/** The native files the actions ship, from the installed linux-x64 packages: file name → path in the package. */
const VENDORED = {
  duckdb: {
    pkg: '@duckdb/node-bindings-linux-x64',
    files: { 'duckdb.node': 'duckdb.node', 'libduckdb.so': 'libduckdb.so' },
  },
  esbuild: { pkg: '@esbuild/linux-x64', files: { esbuild: 'bin/esbuild' } },
} as const satisfies Record<string, { pkg: string; files: Record<string, string> }>;

export type VendoredName = keyof typeof VENDORED;
export const vendoredNames = Object.keys(VENDORED) as VendoredName[];

/** The installed files that actions/vendor/<name> ships: file name → absolute path. */
export async function vendoredSources(
  name: VendoredName,
): Promise<{ version: string; files: Record<string, string> }> {
  const { pkg, files } = VENDORED[name];
  const pkgDir = dirname(require.resolve(`${pkg}/package.json`));
  const { version } = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    version,
    files: Object.fromEntries(Object.entries(files).map(([file, at]) => [file, join(pkgDir, at)])),
  };
}

/** One vendored package, compressed, into `outDir`; redone only when the installed one changed. */
export async function vendorNative(name: VendoredName, outDir: string): Promise<void> {
  const { version, files: paths } = await vendoredSources(name);
  const files: Record<string, { sha256: string; compressed: string }> = {};
  const sources: Record<string, Buffer> = {};
  for (const [file, path] of Object.entries(paths)) {
    sources[file] = await readFile(path);
    files[file] = {
      sha256: createHash('sha256').update(sources[file]).digest('hex'),
      compressed: `${file}.br`,
    };
  }
  const manifest = `${JSON.stringify({ version, platform: 'linux-x64', files }, null, 2)}\n`;
  const manifestPath = join(outDir, 'manifest.json');
  if (existsSync(manifestPath) && (await readFile(manifestPath, 'utf8')) === manifest) return;
  await mkdir(outDir, { recursive: true });
  for (const [file, bytes] of Object.entries(sources)) {
    const packed = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    await writeFile(join(outDir, files[file]!.compressed), packed);
  }
  await writeFile(manifestPath, manifest);
}

export function vendoredManifestPath(name: VendoredName): string {
  return join(root, 'actions', 'vendor', name, 'linux-x64', 'manifest.json');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const names = only.length ? only : await actionNames();
  for (const name of vendoredNames) await vendorNative(name, dirname(vendoredManifestPath(name)));
  for (const name of names) {
    const files = await buildAction(name, join(root, 'actions', name, 'dist'));
    process.stderr.write(`build    actions/${name}/dist: ${files.join(', ')}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
