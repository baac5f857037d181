/** Open the object store a registry URL names: gs://bucket/prefix, or a local path. */
import { resolve } from 'node:path';
import { PipelineError } from '../errors.js';
import { GcsStore } from './gcs-store.js';
import { LocalStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';

export interface StoreOptions {
  /** Another endpoint for gs:// URLs (a test server or an emulator). */
  gcsEndpoint?: string;
}

export function openStore(url: string, options: StoreOptions = {}): ObjectStore {
  // Not the current folder: an empty URL is a variable that was never set.
  if (!url.trim())
    throw new PipelineError('usage', 'registry URL is empty', {
      hint: 'Give a folder or gs://BUCKET/PREFIX with --registry or MLOPS_REGISTRY.',
    });
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'gs') {
    const rest = url.slice('gs://'.length).replace(/\/+$/, '');
    const [bucket, ...prefix] = rest.split('/');
    if (!bucket || !/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(bucket))
      throw new PipelineError('usage', `registry ${url}: "${bucket ?? ''}" is not a bucket name`, {
        hint: 'Write it as gs://BUCKET/PREFIX.',
      });
    return new GcsStore(bucket, prefix.join('/'), { apiEndpoint: options.gcsEndpoint });
  }
  if (scheme && scheme !== 'file')
    throw new PipelineError('usage', `registry ${url}: ${scheme}:// is not supported`, {
      hint: 'Use a local folder or gs://BUCKET/PREFIX.',
    });
  const path = scheme === 'file' ? url.slice('file://'.length) : url;
  if (!path.trim())
    throw new PipelineError('usage', `registry ${url}: names no folder`, {
      hint: 'Write it as file:///ABSOLUTE/PATH, or give the folder itself.',
    });
  return new LocalStore(resolve(path));
}
