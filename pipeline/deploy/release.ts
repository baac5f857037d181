/**
 * A release: what goes into `<base>/releases/<version>` on every VM. The server
 * (a directory the service command knows how to start) and the model bundle,
 * with a manifest of every file's hash so that a release already on a VM is
 * reused only when it is byte for byte the same. A model folder that is not
 * whole (a file missing, weights cut short) is refused here, before any VM is
 * contacted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { checkBundleFiles } from '../model/files.js';
import { RELEASE_NAME } from './settings.js';

export const ManifestSchema = z.object({
  format: z.literal('mlops-release/1'),
  version: z.string(),
  model_version: z.string(),
  files: z.array(
    z.object({ path: z.string(), size: z.number(), mode: z.number(), sha256: z.string() }),
  ),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const MANIFEST_FILE = 'release.json';

export interface ReleaseFile {
  local: string;
  /** Path inside the release, with forward slashes. */
  path: string;
  size: number;
  mode: number;
  sha256: string;
}

export interface Release {
  version: string;
  modelVersion: string;
  files: ReleaseFile[];
  manifest: Manifest;
}

export interface ReleaseSources {
  /** The server: its files land in `server/` of the release (left out of a plan that only checks the model). */
  server?: string;
  /** The model bundle: its files land in `model/`. */
  model: string;
  /** The release name; the model version when omitted. */
  version?: string;
  /** Stops the hashing between files (a release of the staged server is 16,000 of them). */
  signal?: AbortSignal;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function collect(
  root: string,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<ReleaseFile[]> {
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new PipelineError(
      'deploy',
      `${root}: cannot read the ${prefix} directory (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const files: ReleaseFile[] = [];
  for (const entry of entries) {
    signal?.throwIfAborted();
    const local = join(entry.parentPath, entry.name);
    // Symlinks to files are followed: the VM gets the files they point at.
    const info = await stat(local);
    if (entry.isSymbolicLink() && info.isDirectory())
      throw new PipelineError('deploy', `${local}: a symlink to a directory cannot be released`, {
        hint: 'Copy the directory in place of the link (cp -RL) before deploying.',
      });
    if (!info.isFile()) continue;
    files.push({
      local,
      path: `${prefix}/${relative(root, local).split(sep).join('/')}`,
      size: info.size,
      mode: info.mode & 0o755,
      sha256: await sha256(local),
    });
  }
  return files;
}

export async function buildRelease(sources: ReleaseSources): Promise<Release> {
  const metadata = await checkBundleFiles(sources.model);
  const version = sources.version ?? metadata.model_version;
  if (!RELEASE_NAME.test(version))
    throw new PipelineError('deploy', `release name "${version}" is not usable as a directory`, {
      hint: 'Use letters, digits and ._+- only, starting with a letter or digit.',
    });
  const files = [
    ...(sources.server ? await collect(sources.server, 'server', sources.signal) : []),
    ...(await collect(sources.model, 'model', sources.signal)),
  ];
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest: Manifest = {
    format: 'mlops-release/1',
    version,
    model_version: metadata.model_version,
    files: files.map(({ path, size, mode, sha256 }) => ({ path, size, mode, sha256 })),
  };
  return { version, modelVersion: metadata.model_version, files, manifest };
}

/** Whether two releases differ in their server part (and so need a restart, not a model reload). */
export function serverDiffers(a: Manifest | undefined, b: Manifest | undefined): boolean {
  if (!a || !b) return true;
  const server = (m: Manifest) =>
    JSON.stringify(m.files.filter((f) => f.path.startsWith('server/')));
  return server(a) !== server(b);
}

/** Same files, same bytes, same modes. */
export function sameContent(a: Manifest, b: Manifest): boolean {
  return JSON.stringify(a.files) === JSON.stringify(b.files);
}
