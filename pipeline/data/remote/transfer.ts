/**
 * Moving objects between the cache and a remote: a bounded number at a time,
 * skipping what is already there, retrying transient failures (429, 5xx,
 * dropped connections, timeouts) with exponential backoff, and checking the md5
 * of every download before it enters the cache.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { PipelineError } from '../../errors.js';
import { expectedMd5, objectKey, tempBeside, type LocalCache } from '../dvc/odb.js';
import { classify, RemoteFailure, type ObjectStore } from './store.js';

export interface TransferOptions {
  /** Objects in flight at once. */
  jobs?: number;
  /** Attempts after the first, for transient failures. */
  retries?: number;
  /** First backoff in ms (doubles each attempt). */
  minTimeout?: number;
  /** An upload not done after this many ms plus one second per MB is abandoned and tried again. */
  uploadTimeout?: number;
  /** A download that receives nothing for this many ms is cut and tried again. */
  stallTimeout?: number;
  onObject?: (oid: string, action: 'uploaded' | 'downloaded' | 'skipped') => void;
}

export interface TransferResult {
  transferred: string[];
  skipped: string[];
}

const DEFAULTS = { jobs: 8, retries: 5, minTimeout: 200, stallTimeout: 30_000, uploadTimeout: 120_000 };

class CorruptObject extends Error {}

/** Reject with a transient failure when `work` has not settled within `ms`. */
async function deadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RemoteFailure(`${what}: no answer within ${Math.round(ms / 1000)} s`, 'transient')), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function retrying<T>(what: string, fn: () => Promise<T>, options: TransferOptions): Promise<T> {
  return pRetry(fn, {
    retries: options.retries ?? DEFAULTS.retries,
    minTimeout: options.minTimeout ?? DEFAULTS.minTimeout,
    maxTimeout: 10_000,
    factor: 2,
    randomize: true,
    // A truncated body hashes wrong too, so a bad md5 is tried again before it is called corrupt.
    // (once: a second bad hash means the object itself is bad).
    shouldRetry: ({ error, attemptNumber }) =>
      error instanceof CorruptObject
        ? attemptNumber < 2
        : error instanceof RemoteFailure && error.kind === 'transient',
  }).catch((error: unknown) => {
    if (error instanceof PipelineError) throw error;
    if (error instanceof CorruptObject) throw new PipelineError('remote', error.message, {
      hint: 'The object in the remote does not match its name; push it again from a good copy, or remove it from the remote.',
    });
    const failure = error instanceof RemoteFailure ? error : classify(error, what);
    throw new PipelineError('remote', failure.message, {
      cause: error,
      hint:
        failure.kind === 'missing'
          ? 'Push it from a machine that has it (`mlops data push`).'
          : failure.kind === 'denied'
            ? 'Check the credentials (GOOGLE_APPLICATION_CREDENTIALS or MLOPS_GCS_CREDENTIALS) and their access to the bucket.'
            : undefined,
    });
  });
}

export async function pushObjects(
  cache: LocalCache,
  store: ObjectStore,
  oids: readonly string[],
  options: TransferOptions = {},
): Promise<TransferResult> {
  const unique = [...new Set(oids)];
  const keys = unique.map(objectKey);
  const present = await retrying(`${store.label}: listing`, () => store.existing(keys), options);
  const limit = pLimit(options.jobs ?? DEFAULTS.jobs);
  const transferred: string[] = [];
  const skipped: string[] = [];
  await Promise.all(
    unique.map((oid) =>
      limit(async () => {
        const key = objectKey(oid);
        if (present.has(key)) {
          skipped.push(oid);
          options.onObject?.(oid, 'skipped');
          return;
        }
        if (!(await cache.has(oid)))
          throw new PipelineError('data', `${oid}: not in the local cache (${cache.dir}), so it cannot be pushed`, {
            hint: 'Run `mlops data add PATH` for the data first.',
          });
        const { size } = await stat(cache.path(oid));
        const limit = (options.uploadTimeout ?? DEFAULTS.uploadTimeout) + size / 1000;
        const what = `${store.label}/${key}`;
        await retrying(what, () => deadline(store.upload(cache.path(oid), key), limit, what), options);
        transferred.push(oid);
        options.onObject?.(oid, 'uploaded');
      }),
    ),
  );
  return { transferred, skipped };
}

async function downloadOnce(
  cache: LocalCache,
  store: ObjectStore,
  oid: string,
  stallTimeout: number,
): Promise<void> {
  const key = objectKey(oid);
  const target = cache.path(oid);
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempBeside(target);
  const hash = createHash('md5');
  try {
    const body = await store.download(key);
    // A connection that dies without a FIN leaves a stream that never ends: cut it after a silence.
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => body.destroy(new RemoteFailure(`${store.label}/${key}: no data for ${stallTimeout} ms`, 'transient')),
        stallTimeout,
      );
    };
    arm();
    await pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          arm();
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(tmp),
    )
      .finally(() => clearTimeout(timer))
      .catch((error: unknown) => {
      throw error instanceof RemoteFailure ? error : classify(error, `${store.label}/${key}`);
    });
    const md5 = hash.digest('hex');
    if (md5 !== expectedMd5(oid))
      throw new CorruptObject(
        `${store.label}/${key}: corrupt object: its bytes hash to ${md5}, not ${expectedMd5(oid)}`,
      );
    await chmod(tmp, 0o444);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
}

export async function pullObjects(
  cache: LocalCache,
  store: ObjectStore,
  oids: readonly string[],
  options: TransferOptions = {},
): Promise<TransferResult> {
  const limit = pLimit(options.jobs ?? DEFAULTS.jobs);
  const transferred: string[] = [];
  const skipped: string[] = [];
  await Promise.all(
    [...new Set(oids)].map((oid) =>
      limit(async () => {
        if ((await cache.has(oid)) && (await cache.verify(oid))) {
          skipped.push(oid);
          options.onObject?.(oid, 'skipped');
          return;
        }
        await retrying(`${store.label}/${objectKey(oid)}`, () => downloadOnce(cache, store, oid, options.stallTimeout ?? DEFAULTS.stallTimeout),
          options,
        );
        transferred.push(oid);
        options.onObject?.(oid, 'downloaded');
      }),
    ),
  );
  return { transferred, skipped };
}
