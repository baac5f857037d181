/** The store behind a DVC remote url. */
import { PipelineError } from '../../errors.js';
import type { RemoteConfig } from '../dvc/config.js';
import { GcsStore, type GcsAccess } from './gcs.js';
import { LocalStore } from './local.js';
import { DEFAULT_TIMEOUT, SILENT_ATTEMPTS, type ObjectStore } from './store.js';

export interface RemoteAccess {
  gcs?: GcsAccess;
  /**
   * Milliseconds a remote may stay silent about one object before it is given
   * up (default 30 s): each request gets a third of it, and is tried at most
   * three times when it gets no answer.
   */
  timeout?: number;
}

export function openStore(remote: RemoteConfig, access: RemoteAccess = {}): ObjectStore {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(remote.url)?.[1]?.toLowerCase();
  const requestTimeout = Math.max(
    1,
    Math.round((access.timeout ?? DEFAULT_TIMEOUT) / SILENT_ATTEMPTS),
  );
  if (!scheme) return new LocalStore(remote.url, requestTimeout);
  if (scheme === 'gs' || scheme === 'gcs')
    return new GcsStore(remote.url.replace(/^gcs:/, 'gs:'), { requestTimeout, ...access.gcs });
  throw new PipelineError(
    'remote',
    `remote "${remote.name}": ${scheme}:// remotes are not supported (${remote.url})`,
    {
      hint: 'Use a gs://bucket/path remote or a local folder.',
    },
  );
}
