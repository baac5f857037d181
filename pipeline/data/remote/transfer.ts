/**
 * Moving DVC objects between the cache and a remote: a bounded number at a
 * time, skipping what is already there, and checking the md5 of every
 * download before it enters the cache. Retrying and deadlines are the
 * store's (pipeline/storage), the same for every backend.
 */
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { PipelineError } from '../../errors.js';
import { stallGuard } from '../../storage/deadline.js';
import { classify, RemoteFailure } from '../../storage/failure.js';
import type { RetryOptions, RetryPolicy } from '../../storage/retry.js';
import type { Store, UploadOptions } from '../../storage/store.js';
import { tempPath } from '../../storage/temp.js';
import { contentHasher, type HashKind } from '../dvc/dos2unix.js';
import { expectedMd5, objectKey, type LocalCache, type ObjectSet } from '../dvc/odb.js';

/** How many objects move at once, and the store's retry policy and deadlines where a caller (a test) changes them. */
export interface TransferOptions
  extends Partial<RetryPolicy>, Pick<UploadOptions, 'stallTimeout' | 'uploadTimeout'> {
  /** Objects in flight at once. */
  jobs?: number;
  onObject?: (oid: string, action: 'uploaded' | 'downloaded' | 'skipped') => void;
}

export interface TransferResult {
  transferred: string[];
  skipped: string[];
}

const JOBS = 8;

/** The retry policy as the options change it, and what a user can do about an object that is absent or whose bytes are not its md5. */
function retryOptions(options: TransferOptions): RetryOptions {
  return {
    retries: options.retries,
    minTimeout: options.minTimeout,
    hints: {
      missing: 'Push it from a machine that has it (`mlops data push`).',
      corrupt:
        'The object in the remote does not match its name; push it again from a good copy, or remove it from the remote.',
    },
  };
}

export async function pushObjects(
  cache: LocalCache,
  store: Store,
  { kind, oids }: ObjectSet,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const unique = [...new Set(oids)];
  const present = await store.existing(
    unique.map((oid) => objectKey(oid, kind)),
    retryOptions(options),
  );
  const limit = pLimit(options.jobs ?? JOBS);
  const transferred: string[] = [];
  const skipped: string[] = [];
  await Promise.all(
    unique.map((oid) =>
      limit(async () => {
        const key = objectKey(oid, kind);
        if (present.has(key)) {
          skipped.push(oid);
          options.onObject?.(oid, 'skipped');
          return;
        }
        if (!(await cache.has(oid, kind)))
          throw new PipelineError(
            'data',
            `${oid}: not in the local cache (${cache.dir}), so it cannot be pushed`,
            {
              hint: 'Run `mlops data add PATH` for the data first.',
            },
          );
        await store.upload(cache.path(oid, kind), key, {
          ...retryOptions(options),
          stallTimeout: options.stallTimeout,
          uploadTimeout: options.uploadTimeout,
        });
        transferred.push(oid);
        options.onObject?.(oid, 'uploaded');
      }),
    ),
  );
  return { transferred, skipped };
}

async function downloadOnce(
  cache: LocalCache,
  store: Store,
  oid: string,
  kind: HashKind,
  stallTimeout: number,
): Promise<void> {
  const key = objectKey(oid, kind);
  const what = `${store.url}/${key}`;
  const target = await cache.writable(oid, kind);
  const tmp = tempPath(target);
  const hash = contentHasher(kind);
  try {
    const body = await store.download(key);
    await pipeline(
      body,
      stallGuard(body, stallTimeout, what, (chunk) => hash.update(chunk)),
      createWriteStream(tmp),
    ).catch((error: unknown) => {
      throw classify(error, what);
    });
    const md5 = hash.digest();
    if (md5 !== expectedMd5(oid))
      throw new RemoteFailure(
        `${what}: corrupt object: its bytes hash to ${md5}, not ${expectedMd5(oid)}`,
        'corrupt',
      );
    await chmod(tmp, 0o444);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

export async function pullObjects(
  cache: LocalCache,
  store: Store,
  { kind, oids }: ObjectSet,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const limit = pLimit(options.jobs ?? JOBS);
  const transferred: string[] = [];
  const skipped: string[] = [];
  await Promise.all(
    [...new Set(oids)].map((oid) =>
      limit(async () => {
        if ((await cache.has(oid, kind)) && (await cache.verify(oid, kind))) {
          skipped.push(oid);
          options.onObject?.(oid, 'skipped');
          return;
        }
        await store.retrying(
          `${store.url}/${objectKey(oid, kind)}`,
          () => downloadOnce(cache, store, oid, kind, options.stallTimeout ?? store.requestTimeout),
          retryOptions(options),
        );
        transferred.push(oid);
        options.onObject?.(oid, 'downloaded');
      }),
    ),
  );
  return { transferred, skipped };
}
