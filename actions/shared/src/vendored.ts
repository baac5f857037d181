/**
 * Native programs the bundled actions ship in actions/vendor/<name>/<platform>/
 * (brotli compressed, with a manifest of their sha256), unpacked on first use
 * into the runner's temp folder. A bundle has no node_modules to find a
 * platform package in; scripts/build-actions.ts writes these folders.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';

interface Manifest {
  version: string;
  platform: string;
  files: Record<string, { sha256: string; compressed: string }>;
}

/** The folder holding the unpacked files of actions/vendor/<name>, checked against the manifest. */
export function unpackVendored(name: string, label: string): string {
  const platform = `${process.platform}-${process.arch}`;
  const vendor = fileURLToPath(new URL(`../../vendor/${name}/${platform}/`, import.meta.url));
  const manifestPath = join(vendor, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new Error(
      `the mlops actions ship ${label} for linux-x64 runners only; this runner is ${platform}`,
    );
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const id = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
  const dir = join(process.env['RUNNER_TEMP'] || tmpdir(), `mlops-${name}-${id}`);
  if (!existsSync(dir)) {
    // Unpack beside the target and rename, so a parallel step never loads half a file.
    const staging = `${dir}.${process.pid}.tmp`;
    mkdirSync(staging, { recursive: true });
    for (const [file, entry] of Object.entries(manifest.files)) {
      const bytes = brotliDecompressSync(readFileSync(join(vendor, entry.compressed)));
      if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256)
        throw new Error(`${join(vendor, entry.compressed)}: content does not match its manifest`);
      writeFileSync(join(staging, file), bytes, { mode: 0o755 });
    }
    try {
      renameSync(staging, dir);
    } catch {
      // Another process unpacked it first; theirs is identical.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return dir;
}
