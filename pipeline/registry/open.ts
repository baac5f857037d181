/**
 * The store a registry URL names (gs://bucket/prefix, file:///path or a
 * folder), with the same credentials, deadline and retry policy as a data
 * remote: pipeline/storage opens both.
 */
import { PipelineError } from '../errors.js';
import type { StorageAccess } from '../storage/access.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/store.js';

export function openRegistry(url: string, access: StorageAccess = {}): Store {
  // Not the current folder: an empty URL is a variable that was never set.
  if (!url.trim())
    throw new PipelineError('usage', 'registry URL is empty', {
      hint: 'Give a folder or gs://BUCKET/PREFIX with --registry or MLOPS_REGISTRY.',
    });
  return openStore(url, access, { what: 'registry', code: 'usage' });
}
