/**
 * Which release is live: `<base>/current`, a symlink into releases/. It is
 * switched by making a new symlink under a temporary name and renaming it over
 * `current` (rename(2) is atomic), so a reader sees the old target or the new
 * one, never a missing link.
 */
import { randomBytes } from 'node:crypto';
import { sh, type RemoteHost } from './connection.js';
import { releaseDir, type Layout } from './layout.js';
import { MANIFEST_FILE, ManifestSchema, type Manifest } from './release.js';

export interface LiveRelease {
  version: string;
  /** From the release's manifest; unknown for a release put there by other means. */
  modelVersion?: string;
  manifest?: Manifest;
}

export async function readCurrent(remote: RemoteHost, layout: Layout): Promise<LiveRelease | null> {
  const script = `${sh('readlink', '--', layout.current)} || exit 0; ${sh('cat', '--', `${layout.current}/${MANIFEST_FILE}`)} 2> /dev/null; true`;
  const [link = '', ...manifest] = (await remote.run(script, `reading ${layout.current}`)).split(
    '\n',
  );
  const version = link.trim().replace(/\/+$/, '').split('/').pop();
  if (!version) return null;
  let parsed: Manifest | undefined;
  try {
    parsed = ManifestSchema.parse(JSON.parse(manifest.join('\n')));
  } catch {
    parsed = undefined;
  }
  return { version, modelVersion: parsed?.model_version, manifest: parsed };
}

/** Point `current` at a release and mark the release as the most recently live. */
export async function pointCurrentAt(
  remote: RemoteHost,
  layout: Layout,
  version: string,
): Promise<void> {
  const temp = `${layout.base}/.current.${randomBytes(4).toString('hex')}`;
  // Relative target: the base directory can be moved or mounted elsewhere.
  const script = [
    sh('ln', '-sfn', '--', `releases/${version}`, temp),
    sh('mv', '-Tf', '--', temp, layout.current),
    sh('touch', '-c', '--', releaseDir(layout, version)),
  ].join(' && ');
  await remote.run(
    `${script} || { rm -f -- ${sh(temp)}; exit 1; }`,
    `switching current to ${version}`,
  );
}

/** After a failed first deploy there is nothing to go back to: no `current` at all. */
export async function removeCurrent(remote: RemoteHost, layout: Layout): Promise<void> {
  await remote.run(sh('rm', '-f', '--', layout.current), 'removing current');
}
