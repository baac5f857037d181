/**
 * Put a release on a VM over SFTP: into a dot-named partial directory first,
 * renamed to `releases/<version>` only once every file is there, so a release
 * directory under its real name is always complete.
 */
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { SFTPWrapper } from 'ssh2';
import { PipelineError } from '../errors.js';
import { sh, type RemoteHost } from './connection.js';
import { releaseDir, type Layout } from './layout.js';
import { MANIFEST_FILE, ManifestSchema, sameContent, type Release } from './release.js';

function call<T>(fn: (cb: (error: Error | null | undefined, value?: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    fn((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

async function readRemoteManifest(sftp: SFTPWrapper, dir: string) {
  let text: Buffer;
  try {
    text = await call<Buffer>((cb) => sftp.readFile(`${dir}/${MANIFEST_FILE}`, cb));
  } catch {
    return undefined;
  }
  const parsed = ManifestSchema.safeParse(JSON.parse(text.toString('utf8')));
  return parsed.success ? parsed.data : undefined;
}

export type UploadOutcome = 'uploaded' | 'reused';

export async function uploadRelease(
  remote: RemoteHost,
  release: Release,
  layout: Layout,
): Promise<UploadOutcome> {
  const sftp = await remote.sftp();
  const target = releaseDir(layout, release.version);
  const existing = await call<unknown>((cb) => sftp.stat(target, cb)).then(
    () => true,
    () => false,
  );
  if (existing) {
    const manifest = await readRemoteManifest(sftp, target);
    if (manifest && sameContent(manifest, release.manifest)) return 'reused';
    throw new PipelineError(
      'deploy',
      `${remote.name}: ${target} already exists with other content`,
      {
        hint: 'A release name stands for one set of files; deploy the change under a new --release name.',
      },
    );
  }

  const partial = `${layout.releases}/.${release.version}.${randomBytes(4).toString('hex')}.partial`;
  try {
    const dirs = new Set<string>([partial]);
    for (const file of release.files) {
      const parts = file.path.split('/').slice(0, -1);
      parts.forEach((_, i) => dirs.add(`${partial}/${parts.slice(0, i + 1).join('/')}`));
    }
    for (const dir of [...dirs].sort())
      await call<void>((cb) => sftp.mkdir(dir, { mode: 0o755 }, cb));
    // A few files in flight at once hide the round trips without flooding the channel.
    const limit = pLimit(4);
    await Promise.all(
      release.files.map((file) =>
        limit(() =>
          call<void>((cb) =>
            sftp.fastPut(file.local, `${partial}/${file.path}`, { mode: file.mode }, cb),
          ),
        ),
      ),
    );
    await call<void>((cb) =>
      sftp.writeFile(
        `${partial}/${MANIFEST_FILE}`,
        `${JSON.stringify(release.manifest, null, 2)}\n`,
        { mode: 0o644 },
        cb,
      ),
    );
    await remote.run(sh('mv', '-T', '--', partial, target), `moving the upload to ${target}`);
  } catch (error) {
    await remote.exec(sh('rm', '-rf', '--', partial));
    if (error instanceof PipelineError) throw error;
    throw new PipelineError(
      'deploy',
      `${remote.name}: uploading release ${release.version} failed (${(error as Error).message})`,
      { cause: error },
    );
  }
  return 'uploaded';
}
