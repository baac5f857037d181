/**
 * How a store is reached, the same for data remotes, the registry and
 * anything later. The one credentials rule: a service-account key's JSON in
 * MLOPS_GCS_CREDENTIALS (how CI secrets arrive), else a key file named by
 * GOOGLE_APPLICATION_CREDENTIALS, else Google's Application Default
 * Credentials. The shells hand in their environment; nothing here reads
 * process.env.
 */
import { readFileSync } from 'node:fs';
import { PipelineError } from '../errors.js';
import type { RetryPolicy } from './retry.js';

export interface GcsAccess {
  /** A service-account key, as parsed JSON. */
  credentials?: Record<string, unknown>;
  /** Path of a service-account key file. */
  keyFilename?: string;
  /** Another API endpoint, e.g. an emulator at http://127.0.0.1:4443. */
  apiEndpoint?: string;
  projectId?: string;
  /** Milliseconds an HTTP request may wait for its answer (default: a third of StorageAccess.timeout). */
  requestTimeout?: number;
  /** Files larger than this go up as resumable uploads, smaller ones as one multipart request. */
  resumableAbove?: number;
}

export interface StorageAccess {
  gcs?: GcsAccess;
  /**
   * Milliseconds a store may stay silent about one object before it is given
   * up (default 30 s): each request gets a third of it, and is tried at most
   * three times when it gets no answer.
   */
  timeout?: number;
  /** How failures are retried (default: 5 retries from 200 ms). */
  retry?: Partial<RetryPolicy>;
}

/** What to check when a bucket refuses access, naming the credentials that were used. */
export function deniedHint(gcs: GcsAccess = {}): string {
  const role = 'roles/storage.objectUser on the bucket';
  const email = gcs.credentials?.['client_email'];
  if (gcs.credentials)
    return `Check the key in MLOPS_GCS_CREDENTIALS${typeof email === 'string' ? ` (${email})` : ''}: its account needs ${role}.`;
  if (gcs.keyFilename)
    return `Check the key file ${gcs.keyFilename} (GOOGLE_APPLICATION_CREDENTIALS): its account needs ${role}.`;
  return `No key was given (MLOPS_GCS_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS), so Application Default Credentials were used: give a key whose account has ${role}.`;
}

/** Seconds (1 to 3600) as milliseconds; `from` names where the value came from (a flag or a variable). */
export function parseTimeout(value: string, from: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 3600)
    throw new PipelineError(
      'usage',
      `${from} ${value}: expected a number of seconds from 1 to 3600`,
    );
  return Math.round(n * 1000);
}

/**
 * The access an environment gives: credentials by the one rule above, an
 * endpoint for an emulator (MLOPS_GCS_ENDPOINT or STORAGE_EMULATOR_HOST), and
 * how long a silent store is waited for (MLOPS_REMOTE_TIMEOUT, seconds).
 * `flags` (a command's --timeout and endpoint) win over the environment.
 */
export function accessFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  flags: { timeout?: number; endpoint?: string } = {},
): StorageAccess {
  const gcs: GcsAccess = {};
  const json = env['MLOPS_GCS_CREDENTIALS'];
  if (json) {
    try {
      gcs.credentials = JSON.parse(json) as Record<string, unknown>;
    } catch {
      // The value is a secret: say where it came from, never what it is.
      throw new PipelineError('usage', 'MLOPS_GCS_CREDENTIALS is not valid JSON', {
        hint: 'Set it to the contents of a service-account key file.',
      });
    }
  } else if (env['GOOGLE_APPLICATION_CREDENTIALS']) {
    const file = env['GOOGLE_APPLICATION_CREDENTIALS'];
    try {
      readFileSync(file);
    } catch {
      throw new PipelineError(
        'usage',
        `GOOGLE_APPLICATION_CREDENTIALS names ${file}, which cannot be read`,
      );
    }
    gcs.keyFilename = file;
  }
  const endpoint = flags.endpoint ?? env['MLOPS_GCS_ENDPOINT'] ?? env['STORAGE_EMULATOR_HOST'];
  if (endpoint) gcs.apiEndpoint = /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
  const variable = env['MLOPS_REMOTE_TIMEOUT'];
  const timeout =
    flags.timeout ?? (variable ? parseTimeout(variable, 'MLOPS_REMOTE_TIMEOUT') : undefined);
  return timeout === undefined ? { gcs } : { gcs, timeout };
}
