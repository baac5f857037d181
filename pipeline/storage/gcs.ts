/**
 * A store in a Google Cloud Storage bucket, through the official client.
 * Generations are GCS's own object generations, and a conditional write is an
 * upload with ifGenerationMatch (0 for "must not exist"), which GCS applies
 * atomically and answers 412 when it does not hold. The client's own retrying
 * is off: the store's policy (retry.ts) retries every backend the same way.
 */
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PipelineError } from '../errors.js';
import { deniedHint, type GcsAccess } from './access.js';
import { collect } from './deadline.js';
import { classify, PreconditionFailed } from './failure.js';
import { Store, type StoredObject, type StoreSettings } from './store.js';

const RESUMABLE_ABOVE = 8 * 1024 * 1024;
const FEW_KEYS = 2;
const GOOGLE = 'https://storage.googleapis.com';

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export class GcsStore extends Store {
  private readonly storage: Storage;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string;
  readonly deniedHint: string;
  private readonly resumableAbove: number;

  constructor(
    location: { bucket: string; prefix: string },
    access: GcsAccess = {},
    settings: StoreSettings = {},
  ) {
    super({ ...settings, requestTimeout: access.requestTimeout ?? settings.requestTimeout });
    ({ bucket: this.bucket, prefix: this.prefix } = location);
    const options: StorageOptions = {
      retryOptions: { autoRetry: false, maxRetries: 0 },
      // The client notices no dropped connection by itself, and an endpoint that accepts
      // connections but never answers would hold a request for ever: each one has a deadline.
      timeout: this.requestTimeout,
    };
    if (access.credentials) options.credentials = access.credentials;
    if (access.keyFilename) options.keyFilename = access.keyFilename;
    if (access.apiEndpoint) options.apiEndpoint = access.apiEndpoint;
    if (access.projectId) options.projectId = access.projectId;
    this.storage = new Storage(options);
    this.endpoint = access.apiEndpoint ?? GOOGLE;
    this.deniedHint = deniedHint(access);
    this.resumableAbove = access.resumableAbove ?? RESUMABLE_ABOVE;
  }

  get url(): string {
    return `gs://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private name(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  private file(key: string, generation?: string) {
    return this.storage
      .bucket(this.bucket)
      .file(this.name(key), generation === undefined ? {} : { generation });
  }

  protected async existingOnce(keys: readonly string[]): Promise<Set<string>> {
    // A key or two: one metadata request each beats listing folders that may hold thousands.
    if (keys.length <= FEW_KEYS) {
      const found = await Promise.all(
        keys.map(async (key) => {
          try {
            const [exists] = await this.file(key).exists();
            return exists ? key : undefined;
          } catch (error) {
            throw classify(error, `${this.url}/${key}: metadata`);
          }
        }),
      );
      return new Set(found.filter((k): k is string => k !== undefined));
    }
    // Otherwise one listing per folder the keys live in.
    const folders = new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/') + 1)));
    const present = new Set<string>();
    for (const folder of folders) for (const key of await this.listOnce(folder)) present.add(key);
    return new Set(keys.filter((k) => present.has(k)));
  }

  protected async listOnce(prefix: string): Promise<string[]> {
    let files;
    try {
      [files] = await this.storage
        .bucket(this.bucket)
        .getFiles({ prefix: this.name(prefix), autoPaginate: true });
    } catch (error) {
      throw classify(error, `${this.url}/${prefix}: listing`);
    }
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    return files.map((f) => f.name.slice(strip)).sort();
  }

  protected async readOnce(key: string): Promise<StoredObject | undefined> {
    const what = `${this.url}/${key}`;
    // One request: the bytes and the generation they are (x-goog-generation,
    // which GCS sends with every media download) come together, so a writer
    // replacing the object in between cannot make the pair inconsistent, nor
    // starve the reader as a metadata-then-bytes pair of requests could.
    const body = this.file(key).createReadStream({ validation: false });
    let generation: string | undefined;
    body.on('response', (response: { headers?: Record<string, unknown> }) => {
      const header = response.headers?.['x-goog-generation'];
      generation = Array.isArray(header) ? String(header[0]) : header ? String(header) : undefined;
    });
    let data: Buffer;
    try {
      data = await collect(body, this.requestTimeout, what);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw classify(error, what);
    }
    if (generation === undefined)
      throw new PipelineError(
        'remote',
        `${what}: the answer names no generation (x-goog-generation)`,
      );
    return { data, generation };
  }

  /** A multipart request carries the whole object: its answer may take 10 s per MB longer. */
  private writeTimeout(size: number): number {
    return this.requestTimeout + size / 100;
  }

  protected async writeOnce(
    key: string,
    data: Uint8Array,
    ifGeneration: string | null | undefined,
  ): Promise<string> {
    const file = this.file(key);
    try {
      await file.save(Buffer.from(data), {
        resumable: false,
        contentType: key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        timeout: this.writeTimeout(data.byteLength),
        ...(ifGeneration === undefined
          ? {}
          : { preconditionOpts: { ifGenerationMatch: ifGeneration === null ? 0 : ifGeneration } }),
      });
    } catch (error) {
      if (statusOf(error) === 412) throw new PreconditionFailed(key);
      throw classify(error, `${this.url}/${key}`);
    }
    return String(file.metadata.generation);
  }

  protected async uploadOnce(file: string, key: string, progress: () => void): Promise<void> {
    try {
      const { size } = await stat(file);
      await this.storage.bucket(this.bucket).upload(file, {
        destination: this.name(key),
        validation: 'md5',
        resumable: size > this.resumableAbove,
        // Resumable uploads are bounded by the stall and overall caps of Store.upload.
        timeout: this.writeTimeout(size),
        onUploadProgress: () => progress(),
      });
    } catch (error) {
      throw classify(error, `${this.url}/${key}: upload`);
    }
  }

  async download(key: string): Promise<Readable> {
    // Validation is the caller's (e.g. the md5 of what arrived against the object id), not the client's.
    return this.file(key).createReadStream({ validation: false });
  }
}
