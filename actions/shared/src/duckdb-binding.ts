/**
 * What a bundled action loads in place of `@duckdb/node-bindings`: the same
 * native module, shipped once for all actions in actions/vendor/duckdb/ (brotli
 * compressed: libduckdb.so is 70 MB raw) and unpacked on first use into the
 * runner's temp folder. The package's own loader picks a platform package from
 * node_modules, which a bundled action does not have.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

interface Manifest {
  version: string;
  platform: string;
  files: Record<string, { sha256: string; compressed: string }>;
}

function load(): unknown {
  const platform = `${process.platform}-${process.arch}`;
  const vendor = fileURLToPath(new URL(`../../vendor/duckdb/${platform}/`, import.meta.url));
  const manifestPath = join(vendor, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new Error(
      `the mlops actions ship DuckDB for linux-x64 runners only; this runner is ${platform}`,
    );
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const id = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
  const dir = join(process.env['RUNNER_TEMP'] || tmpdir(), `mlops-duckdb-${id}`);
  if (!existsSync(join(dir, 'duckdb.node'))) {
    // Unpack beside the target and rename, so a parallel step never loads half a library.
    const staging = `${dir}.${process.pid}.tmp`;
    mkdirSync(staging, { recursive: true });
    for (const [name, file] of Object.entries(manifest.files)) {
      const bytes = brotliDecompressSync(readFileSync(join(vendor, file.compressed)));
      if (createHash('sha256').update(bytes).digest('hex') !== file.sha256)
        throw new Error(`${join(vendor, file.compressed)}: content does not match its manifest`);
      writeFileSync(join(staging, name), bytes, { mode: 0o755 });
    }
    try {
      renameSync(staging, dir);
    } catch {
      // Another process unpacked it first; theirs is identical.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  // duckdb.node finds libduckdb.so beside itself (RUNPATH $ORIGIN).
  return createRequire(import.meta.url)(join(dir, 'duckdb.node'));
}

export default load();
