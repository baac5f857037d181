/**
 * An object store in a Google Cloud Storage bucket, through the official client.
 * Generations are GCS's own object generations, and a conditional write is an
 * upload with ifGenerationMatch (0 for "must not exist"), which GCS applies
 * atomically and answers 412 when it does not hold.
 */
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { PipelineError } from '../errors.js';
import {
  checkKey,
  PreconditionFailed,
  type ObjectStore,
  type StoredObject,
  type WriteOptions,
} from './object-store.js';

export interface GcsStoreOptions {
  /** Another endpoint speaking the GCS JSON API (a test server, an emulator). */
  apiEndpoint?: string;
  projectId?: string;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * No credentials, no access to the bucket, no network: the user's to fix, so a
 * remote error naming the object rather than the client's stack.
 */
function storeFailure(where: string, error: unknown): PipelineError {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return new PipelineError('remote', `${where}: ${message}`, {
    hint:
      status === 401 || status === 403 || /credentials/i.test(message)
        ? 'Check the credentials (GOOGLE_APPLICATION_CREDENTIALS) and that the account has roles/storage.objectUser on the bucket.'
        : undefined,
    cause: error,
  });
}

export class GcsStore implements ObjectStore {
  private readonly storage: Storage;

  constructor(
    readonly bucketName: string,
    readonly prefix: string,
    options: GcsStoreOptions = {},
  ) {
    const settings: StorageOptions = {};
    if (options.apiEndpoint) settings.apiEndpoint = options.apiEndpoint;
    if (options.projectId) settings.projectId = options.projectId;
    this.storage = new Storage(settings);
  }

  get url(): string {
    return `gs://${this.bucketName}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private name(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async read(key: string): Promise<StoredObject | undefined> {
    const bucket = this.storage.bucket(this.bucketName);
    // Metadata first, then the bytes of exactly that generation, so the pair is
    // consistent; a generation replaced in between (404) is read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      let generation: string;
      try {
        const [metadata] = await bucket.file(this.name(key)).getMetadata();
        generation = String(metadata.generation);
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw storeFailure(`${this.url}/${key}`, error);
      }
      try {
        const [data] = await bucket.file(this.name(key), { generation }).download();
        return { data, generation };
      } catch (error) {
        if (statusOf(error) !== 404) throw storeFailure(`${this.url}/${key}`, error);
      }
    }
    throw new PipelineError(
      'remote',
      `${this.url}/${key}: replaced while being read, five times in a row`,
    );
  }

  async write(key: string, data: Uint8Array | string, options: WriteOptions = {}): Promise<string> {
    const file = this.storage.bucket(this.bucketName).file(this.name(key));
    const condition = options.ifGeneration;
    try {
      await file.save(typeof data === 'string' ? data : Buffer.from(data), {
        resumable: false,
        contentType: key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        ...(condition === undefined
          ? {}
          : { preconditionOpts: { ifGenerationMatch: condition === null ? 0 : condition } }),
      });
    } catch (error) {
      if (statusOf(error) === 412) throw new PreconditionFailed(key);
      throw storeFailure(`${this.url}/${key}`, error);
    }
    return String(file.metadata.generation);
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const [files] = await this.storage
      .bucket(this.bucketName)
      .getFiles({ prefix: full })
      .catch((error: unknown) => {
        throw storeFailure(`${this.url}/${prefix}`, error);
      });
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    return files.map((f) => f.name.slice(strip)).sort();
  }
}
