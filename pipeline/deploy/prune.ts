/**
 * Keep the last N releases on a VM: the most recently live ones by the time their
 * directory was last touched (activation touches it), the live one always.
 * Partial uploads left by a deploy that died go too: we hold the lock.
 */
import { sh, type RemoteHost } from './connection.js';
import type { Layout } from './layout.js';
import { RELEASE_NAME } from './settings.js';

export async function pruneReleases(
  remote: RemoteHost,
  layout: Layout,
  keep: number,
  live: string,
): Promise<string[]> {
  // ls -t sorts by modification time with sub-second precision; names are checked below.
  const listing = await remote.run(
    `cd -- ${sh(layout.releases)} && ls -1at`,
    `listing ${layout.releases}`,
  );
  const names = listing.split('\n').filter(Boolean);
  const releases = names.filter((n) => RELEASE_NAME.test(n));
  const partials = names.filter((n) =>
    /^\.[A-Za-z0-9][A-Za-z0-9._+-]*\.[0-9a-f]{8}\.partial$/.test(n),
  );
  const kept = [live, ...releases.filter((n) => n !== live)].slice(0, keep);
  const doomed = releases.filter((n) => !kept.includes(n));
  const paths = [...doomed, ...partials].map((n) => `${layout.releases}/${n}`);
  if (paths.length) await remote.run(sh('rm', '-rf', '--', ...paths), 'removing old releases');
  return doomed;
}
