/**
 * The one reading of a store URL: gs://BUCKET/PREFIX (gcs:// too, as DVC
 * accepts it), file:///PATH, or a plain path.
 */
import { PipelineError, type ErrorCode } from '../errors.js';

export type StoreLocation =
  { kind: 'gcs'; bucket: string; prefix: string } | { kind: 'local'; path: string };

/**
 * GCS's bucket names: 3 to 222 characters (63 without dots) of lowercase
 * letters, digits, dots, dashes and underscores, starting and ending with a
 * letter or digit. The 63 is left to GCS to say.
 */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Where the store is. `what` names it in messages (`registry`, `remote "cloud"`). */
export function parseStoreUrl(
  url: string,
  what: string,
  code: ErrorCode = 'remote',
): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'gs' || scheme === 'gcs') {
    const rest = url.slice(scheme.length + '://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!BUCKET.test(bucket))
      throw new PipelineError(code, `${what} ${url}: "${bucket}" is not a bucket name`, {
        hint: 'Write it as gs://BUCKET/PREFIX. Bucket names are 3 to 222 characters of lowercase letters, digits, dots, dashes and underscores.',
      });
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    return { kind: 'gcs', bucket, prefix };
  }
  if (scheme && scheme !== 'file')
    throw new PipelineError(code, `${what} ${url}: ${scheme}:// is not supported`, {
      hint: 'Use a local folder or gs://BUCKET/PREFIX.',
    });
  const path = scheme === 'file' ? url.slice('file://'.length) : url;
  // Not the current folder: an empty path is a variable that was never set.
  if (!path.trim())
    throw new PipelineError(code, `${what} ${url}: names no folder`, {
      hint: 'Write it as file:///ABSOLUTE/PATH, or give the folder itself.',
    });
  return { kind: 'local', path };
}
