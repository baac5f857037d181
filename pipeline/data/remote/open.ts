/** The store behind a DVC remote url: a folder or a gs:// bucket, as pipeline/storage opens any store. */
import type { StorageAccess } from '../../storage/access.js';
import { openStore as openStorage } from '../../storage/open.js';
import type { Store } from '../../storage/store.js';
import type { RemoteConfig } from '../dvc/config.js';

/** Credentials, deadline and retry policy of a remote: the same as for every store. */
export type RemoteAccess = StorageAccess;

export function openStore(remote: RemoteConfig, access: RemoteAccess = {}): Store {
  return openStorage(remote.url, access, { what: `remote "${remote.name}"`, code: 'remote' });
}
