/**
 * A `gs://bucket/path` remote through @google-cloud/storage. Retrying is turned
 * off in the client: transfer.ts retries every backend the same way, and a
 * second retry loop inside would multiply the waits.
 */
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PipelineError } from '../../errors.js';
import { classify, type ObjectStore } from './store.js';

/** How to reach GCS: handed in by the shell, which is the only place that reads the environment. */
export interface GcsAccess {
  /** A service-account key, as parsed JSON. */
  credentials?: Record<string, unknown>;
  /** Path of a service-account key file. */
  keyFilename?: string;
  /** Another API endpoint, e.g. an emulator at http://127.0.0.1:4443. */
  apiEndpoint?: string;
  projectId?: string;
  /** Milliseconds an HTTP request may wait for its answer before it is abandoned and retried (default 10 s). */
  requestTimeout?: number;
  /** Files larger than this go up as resumable uploads, smaller ones as one multipart request. */
  resumableAbove?: number;
}

const RESUMABLE_ABOVE = 8 * 1024 * 1024;
const FEW_KEYS = 2;
const REQUEST_TIMEOUT = 10_000;
const GOOGLE = 'https://storage.googleapis.com';

export function parseGsUrl(url: string): { bucket: string; prefix: string } {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(\/.*)?$/.exec(url);
  if (!m)
    throw new PipelineError('remote', `${url}: not a gs://bucket/path URL`, {
      hint: 'Bucket names are 3 to 222 characters of lowercase letters, digits, dots, dashes and underscores.',
    });
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1]!, prefix };
}

export class GcsStore implements ObjectStore {
  private readonly storage: Storage;
  readonly bucket: string;
  readonly prefix: string;
  private readonly resumableAbove: number;
  readonly requestTimeout: number;
  readonly endpoint: string;

  constructor(url: string, access: GcsAccess = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseGsUrl(url));
    const options: StorageOptions = {
      retryOptions: { autoRetry: false, maxRetries: 0 },
    };
    if (access.credentials) options.credentials = access.credentials;
    if (access.keyFilename) options.keyFilename = access.keyFilename;
    if (access.apiEndpoint) options.apiEndpoint = access.apiEndpoint;
    if (access.projectId) options.projectId = access.projectId;
    this.endpoint = access.apiEndpoint ?? GOOGLE;
    // The client notices no dropped connection by itself, and an endpoint that accepts
    // connections but never answers would hold a request for ever: each one has a deadline.
    this.requestTimeout = access.requestTimeout ?? REQUEST_TIMEOUT;
    options.timeout = this.requestTimeout;
    this.storage = new Storage(options);
    this.resumableAbove = access.resumableAbove ?? RESUMABLE_ABOVE;
  }

  get label(): string {
    return `gs://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private name(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async existing(keys: readonly string[]): Promise<Set<string>> {
    // A key or two: one metadata request each beats listing folders that may hold thousands.
    if (keys.length <= FEW_KEYS) {
      const found = await Promise.all(
        keys.map(async (key) => {
          try {
            const [exists] = await this.storage.bucket(this.bucket).file(this.name(key)).exists();
            return exists ? key : undefined;
          } catch (error) {
            throw classify(error, `${this.label}/${key}: metadata`);
          }
        }),
      );
      return new Set(found.filter((k): k is string => k !== undefined));
    }
    // Otherwise one listing per two-hex folder the keys live in, as DVC does.
    const folders = new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/') + 1)));
    const present = new Set<string>();
    for (const folder of folders) {
      const prefix = this.name(folder);
      let files;
      try {
        [files] = await this.storage.bucket(this.bucket).getFiles({ prefix, autoPaginate: true });
      } catch (error) {
        throw classify(error, `${this.label}: listing ${folder}`);
      }
      const base = this.prefix ? `${this.prefix}/` : '';
      for (const f of files) present.add(f.name.slice(base.length));
    }
    return new Set(keys.filter((k) => present.has(k)));
  }

  async upload(file: string, key: string, onProgress?: () => void): Promise<void> {
    try {
      const { size } = await stat(file);
      await this.storage.bucket(this.bucket).upload(file, {
        destination: this.name(key),
        validation: 'md5',
        resumable: size > this.resumableAbove,
        // A multipart request carries the whole file (up to resumableAbove): the answer
        // may take 10 s per MB longer. Resumable ones are bounded by transfer.ts.
        timeout: this.requestTimeout + size / 100,
        onUploadProgress: () => onProgress?.(),
      });
    } catch (error) {
      throw classify(error, `${this.label}/${key}: upload`);
    }
  }

  async download(key: string): Promise<Readable> {
    const file = this.storage.bucket(this.bucket).file(this.name(key));
    // Validation is ours (md5 of what arrived against the object id), not the client's.
    return file.createReadStream({ validation: false });
  }
}
