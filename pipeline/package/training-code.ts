/**
 * What decides a model besides its data and its config: the source files that
 * run when a model is made, and the packages they run on.
 *
 * The files are derived, not listed: esbuild (the bundler that already builds
 * the CLI and the actions) follows the imports from the entry points below, and
 * its metafile names every module reached. A list kept by hand went stale the
 * day data loading moved to files it did not name; a graph cannot. It errs on
 * the side of retraining: a module the entry points import for anything (data
 * transport, error text) counts; one they never reach (serve, deploy, report)
 * does not.
 *
 * The packages are the versions the npm lockfile resolves for what those files
 * import, and for what those packages depend on in turn: what `npm ci` installs,
 * the same on every machine.
 */
import { isBuiltin } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../util/files.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';

/**
 * Where making a model starts: openRun reads the config, loads, checks and
 * splits the data; initBackend and train make the model. Whatever else decides
 * a model is imported from these.
 */
const TRAINING_ENTRIES = [
  'pipeline/run/context.ts',
  'pipeline/train/backend.ts',
  'pipeline/train/train.ts',
] as const;

export interface TrainingCode {
  /** Repository-relative path → sha256, for each module reached and each .wasm file beside one. */
  files: Record<string, string>;
  /** name@version of each package reached, as the lockfile resolves it. */
  packages: string[];
}

interface Graph {
  /** Repository-relative paths of the modules reached. */
  modules: string[];
  /** Package names they import. */
  packages: string[];
}

/** Following the imports takes esbuild a few tens of milliseconds: reused while no module changed. */
const GRAPH_CACHE = join('node_modules', '.cache', 'mlops', 'training-graph.json');

async function followImports(root: string, entries: readonly string[]): Promise<Graph> {
  // Loaded only here and when a module is compiled: an action bundle gets the
  // pipeline's hash as a constant (lineage.ts), but follows the imports of a
  // team's model module with the esbuild it ships (scripts/build-actions.ts).
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: entries.map((e) => join(root, e)),
    bundle: true,
    write: false,
    metafile: true,
    outdir: join(root, '.training-graph'),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs))
    for (const i of input.imports)
      if (i.external && !isBuiltin(i.path)) packages.add(packageName(i.path));
  return {
    modules: Object.keys(result.metafile.inputs).sort(),
    packages: [...packages].sort(),
  };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

async function hashFiles(root: string, paths: string[]): Promise<Record<string, string>> {
  const hashes = await Promise.all(
    paths.map(async (p) => sha256Hex(await readFile(join(root, p)))),
  );
  return Object.fromEntries(paths.map((p, i) => [p, hashes[i]!]));
}

/**
 * The graph is a function of the modules' contents (and of tsconfig.json, which
 * decides which imports of types survive): when none of the modules it found
 * changed, neither did it. A new file counts only once a module imports it, and
 * that import changes the module.
 */
async function moduleGraph(
  root: string,
  entries: readonly string[],
): Promise<{ graph: Graph; files: Record<string, string> }> {
  const hashed = async (modules: string[]) => {
    const files = await hashFiles(root, modules);
    const config = await readFile(join(root, 'tsconfig.json')).catch(() => '');
    return { files, key: sha256Hex(canonicalJson({ files, tsconfig: sha256Hex(config) })) };
  };
  const cachePath = join(
    root,
    entries === TRAINING_ENTRIES
      ? GRAPH_CACHE
      : GRAPH_CACHE.replace(/\.json$/, `-${sha256Hex(entries.join('\n')).slice(0, 12)}.json`),
  );
  try {
    const cached = JSON.parse(await readFile(cachePath, 'utf8')) as Graph & { key: string };
    const { files, key } = await hashed(cached.modules);
    if (key === cached.key)
      return { graph: { modules: cached.modules, packages: cached.packages }, files };
  } catch {
    // No cache yet, or a module it names is gone: follow the imports again.
  }
  const graph = await followImports(root, entries);
  const { files, key } = await hashed(graph.modules);
  // Only a cache: where it cannot be written, each run follows the imports again.
  await writeFileAtomic(cachePath, `${JSON.stringify({ key, ...graph })}\n`).catch(() => {});
  return { graph, files };
}

/** WebAssembly modules read at run time sit beside the code that loads them. */
async function wasmBeside(root: string, modules: string[]): Promise<string[]> {
  const dirs = [...new Set(modules.map((m) => dirname(m)))];
  const lists = await Promise.all(
    dirs.map(async (d) =>
      (await readdir(join(root, d)).catch(() => [] as string[]))
        .filter((f) => f.endsWith('.wasm'))
        .map((f) => `${d}/${f}`),
    ),
  );
  return lists.flat();
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The npm lockfile that governs `root`: its own, or the one of the project it is installed in. */
async function findLockfile(
  root: string,
): Promise<{ at: string; packages: Record<string, LockEntry> } | undefined> {
  for (let dir = root; ; dir = dirname(dir)) {
    for (const name of ['npm-shrinkwrap.json', 'package-lock.json']) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      const lock = JSON.parse(text) as { packages?: Record<string, LockEntry> };
      // Install paths in the lockfile are relative to its folder, with forward slashes.
      return { at: relative(dir, root).split(sep).join('/'), packages: lock.packages ?? {} };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Node's lookup over the lockfile's install paths: node_modules/<name> here, then in each folder above. */
function resolveInstall(
  packages: Record<string, LockEntry>,
  from: string,
  name: string,
): string | undefined {
  for (let at = from; ;) {
    const key = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!at) return undefined;
    const parent = at.lastIndexOf('/node_modules/');
    at = parent === -1 ? '' : at.slice(0, parent);
  }
}

/**
 * Resolved versions of `names` and of everything they depend on. The lockfile
 * names every platform's optional native build (DuckDB's), installed here or
 * not, so a Mac and a Linux runner count the same packages.
 */
async function packageVersions(root: string, names: string[]): Promise<string[]> {
  const lock = await findLockfile(root);
  if (!lock) return ['(no npm lockfile)'];
  const found = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string, from: string): void => {
    const key = resolveInstall(lock.packages, from, name);
    if (!key) {
      found.add(`${name}@missing`);
      return;
    }
    if (seen.has(key)) return;
    seen.add(key);
    const entry = lock.packages[key]!;
    found.add(`${name}@${entry.version ?? 'unversioned'}`);
    const deps = {
      ...entry.peerDependencies,
      ...entry.optionalDependencies,
      ...entry.dependencies,
    };
    for (const dep of Object.keys(deps)) visit(dep, key);
  };
  for (const name of names) visit(name, lock.at);
  return [...found].sort();
}

/**
 * The training code of the repository at `root`: its files' hashes and its
 * packages. `entries` (paths relative to `root`) replace the pipeline's own
 * entry points, for a model module of the team's own (lineage.ts).
 */
export async function trainingCode(
  root: string,
  entries: readonly string[] = TRAINING_ENTRIES,
): Promise<TrainingCode> {
  const { graph, files } = await moduleGraph(root, entries);
  const wasm = await hashFiles(root, await wasmBeside(root, graph.modules));
  return {
    files: { ...files, ...wasm },
    packages: await packageVersions(root, graph.packages),
  };
}

export function hashTrainingCode(code: TrainingCode): string {
  return sha256Hex(canonicalJson(code)).slice(0, 16);
}
