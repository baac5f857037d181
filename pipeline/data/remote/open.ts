/** The store behind a DVC remote url. */
import { PipelineError } from '../../errors.js';
import type { RemoteConfig } from '../dvc/config.js';
import { GcsStore, type GcsAccess } from './gcs.js';
import { LocalStore } from './local.js';
import type { ObjectStore } from './store.js';

export interface RemoteAccess {
  gcs?: GcsAccess;
}

export function openStore(remote: RemoteConfig, access: RemoteAccess = {}): ObjectStore {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(remote.url)?.[1]?.toLowerCase();
  if (!scheme) return new LocalStore(remote.url);
  if (scheme === 'gs' || scheme === 'gcs') return new GcsStore(remote.url.replace(/^gcs:/, 'gs:'), access.gcs);
  throw new PipelineError('remote', `remote "${remote.name}": ${scheme}:// remotes are not supported (${remote.url})`, {
    hint: 'Use a gs://bucket/path remote or a local folder.',
  });
}
