/** The store a URL names, reached with the access (credentials, deadline, retry policy) given. */
import { resolve } from 'node:path';
import type { ErrorCode } from '../errors.js';
import type { StorageAccess } from './access.js';
import { requestTimeoutFor } from './deadline.js';
import { GcsStore } from './gcs.js';
import { LocalStore } from './local.js';
import type { Store } from './store.js';
import { parseStoreUrl } from './url.js';

export interface Naming {
  /** How messages name the store: `registry`, `remote "cloud"`. */
  what: string;
  /** The error code of a URL that names no store. */
  code?: ErrorCode;
}

export function openStore(
  url: string,
  access: StorageAccess = {},
  naming: Naming = { what: 'store' },
): Store {
  const location = parseStoreUrl(url, naming.what, naming.code);
  const settings = { requestTimeout: requestTimeoutFor(access.timeout), retry: access.retry };
  if (location.kind === 'gcs') return new GcsStore(location, access.gcs, settings);
  const root = resolve(location.path);
  return new LocalStore(root, { ...settings, name: `${naming.what} ${root}` });
}
