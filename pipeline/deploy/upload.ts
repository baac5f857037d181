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
import type { LiveRelease } from './activate.js';
import {
  MANIFEST_FILE,
  ManifestSchema,
  sameContent,
  type Manifest,
  type Release,
} from './release.js';

function call<T>(fn: (cb: (error: Error | null | undefined, value?: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    fn((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

/**
 * `work`, or the abort's reason as soon as `signal` aborts: ssh2 never calls back
 * a request made on an SFTP session after it was closed, so transfers cannot be
 * waited out once the session is ended.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function readRemoteManifest(sftp: SFTPWrapper, dir: string) {
  let text: Buffer;
  try {
    text = await call<Buffer>((cb) => sftp.readFile(`${dir}/${MANIFEST_FILE}`, cb));
  } catch {
    return undefined;
  }
  // A manifest cut short or edited by hand is no manifest: the release is not reused.
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ManifestSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export interface UploadResult {
  outcome: 'uploaded' | 'reused';
  /** Files sent over SFTP. */
  sent: number;
  /** Files hard-linked from the live release on the VM, unchanged since. */
  linked: number;
}

const identity = (f: { path: string; size: number; mode: number; sha256: string }) =>
  `${f.path}\0${f.size}\0${f.mode}\0${f.sha256}`;

/**
 * Files that have not changed since the live release are hard-linked from it on
 * the VM instead of being sent again: a server with its node_modules is large,
 * and a release differs from the last one mostly by its model. Releases are
 * never written to once complete, so sharing inodes between them is safe.
 */
async function linkUnchanged(
  remote: RemoteHost,
  release: Release,
  from: string,
  partial: string,
  previous: Manifest,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const before = new Set(previous.files.map(identity));
  const same = release.files.filter((f) => before.has(identity(f))).map((f) => f.path);
  if (!same.length) return new Set();
  const result = await remote.exec(
    `cd -- ${sh(from)} && xargs -0 -r cp -l --parents -t ${sh(partial)} --`,
    { input: same.join('\0'), signal },
  );
  // A filesystem without hard links, or a release tampered with: send everything.
  if (result.code !== 0) return new Set();
  return new Set(same);
}

async function makeDirs(
  remote: RemoteHost,
  release: Release,
  partial: string,
  signal?: AbortSignal,
): Promise<void> {
  const dirs = new Set<string>();
  for (const file of release.files) {
    const parts = file.path.split('/').slice(0, -1);
    parts.forEach((_, i) => dirs.add(parts.slice(0, i + 1).join('/')));
  }
  await remote.run(
    `mkdir -m 755 -- ${sh(partial)} && cd -- ${sh(partial)} && xargs -0 -r mkdir -m 755 -p --`,
    `creating ${partial}`,
    { input: [...dirs].join('\0'), signal },
  );
}

export async function uploadRelease(
  remote: RemoteHost,
  release: Release,
  layout: Layout,
  live: LiveRelease | null,
  signal?: AbortSignal,
): Promise<UploadResult> {
  const sftp = await remote.sftp();
  const target = releaseDir(layout, release.version);
  const existing = await call<unknown>((cb) => sftp.stat(target, cb)).then(
    () => true,
    () => false,
  );
  if (existing) {
    const manifest = await readRemoteManifest(sftp, target);
    if (manifest && sameContent(manifest, release.manifest))
      return { outcome: 'reused', sent: 0, linked: 0 };
    throw new PipelineError(
      'deploy',
      `${remote.name}: ${target} already exists with other content`,
      {
        hint: 'A release name stands for one set of files; deploy the change under a new --release name.',
      },
    );
  }

  const partial = `${layout.releases}/.${release.version}.${randomBytes(4).toString('hex')}.partial`;
  // Transfers in flight fail with the session; the partial directory is removed below.
  const stop = () => remote.endSftp();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await makeDirs(remote, release, partial, signal);
    let linked = new Set<string>();
    if (live?.manifest) {
      linked = await linkUnchanged(
        remote,
        release,
        releaseDir(layout, live.version),
        partial,
        live.manifest,
        signal,
      );
      if (!linked.size) {
        // Start over clean: a half-done link must not be written through.
        await remote.run(sh('rm', '-rf', '--', partial), `clearing ${partial}`, { signal });
        await makeDirs(remote, release, partial, signal);
      }
    }
    const toSend = release.files.filter((f) => !linked.has(f.path));
    // A few files in flight at once hide the round trips without flooding the channel.
    const limit = pLimit(4);
    await untilAborted(
      Promise.all(
        toSend.map((file) =>
          limit(() => {
            signal?.throwIfAborted();
            return call<void>((cb) =>
              sftp.fastPut(file.local, `${partial}/${file.path}`, { mode: file.mode }, cb),
            );
          }),
        ),
      ),
      signal,
    );
    await untilAborted(
      call<void>((cb) =>
        sftp.writeFile(
          `${partial}/${MANIFEST_FILE}`,
          `${JSON.stringify(release.manifest, null, 2)}\n`,
          { mode: 0o644 },
          cb,
        ),
      ),
      signal,
    );
    signal?.throwIfAborted();
    await remote.run(sh('mv', '-T', '--', partial, target), `moving the upload to ${target}`);
    return { outcome: 'uploaded', sent: toSend.length, linked: linked.size };
  } catch (error) {
    await remote.exec(sh('rm', '-rf', '--', partial)).catch(() => undefined);
    if (error instanceof PipelineError) throw error;
    throw new PipelineError(
      'deploy',
      `${remote.name}: uploading release ${release.version} failed (${(error as Error).message})`,
      { cause: error },
    );
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
