/**
 * Moving objects between the cache and a remote: a bounded number at a time,
 * skipping what is already there, retrying transient failures (429, 5xx,
 * dropped connections, timeouts) with exponential backoff, and checking the md5
 * of every download before it enters the cache.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { PipelineError } from '../../errors.js';
import { expectedMd5, objectKey, type LocalCache } from '../dvc/odb.js';
import { tempPath } from '../dvc/temp.js';
import { classify, RemoteFailure, SILENT_ATTEMPTS, type ObjectStore } from './store.js';

export interface TransferOptions {
  /** Objects in flight at once. */
  jobs?: number;
  /** Attempts after the first, for transient failures. */
  retries?: number;
  /** First backoff in ms (doubles each attempt). */
  minTimeout?: number;
  /** An upload not done after this many ms plus one second per MB is abandoned and tried again. */
  uploadTimeout?: number;
  /** A transfer that moves no byte for this many ms is cut and tried again (default: the store's request timeout). */
  stallTimeout?: number;
  onObject?: (oid: string, action: 'uploaded' | 'downloaded' | 'skipped') => void;
}

export interface TransferResult {
  transferred: string[];
  skipped: string[];
}

const DEFAULTS = { jobs: 8, retries: 5, minTimeout: 200, uploadTimeout: 120_000 };

class CorruptObject extends Error {}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * Run `work`, cut when it reports no progress for `stall` ms (a silent failure
 * when nothing moved at all) or is not done within `cap` ms.
 */
async function watched<T>(
  work: (progress: () => void) => Promise<T>,
  { stall, cap, what }: { stall: number; cap: number; what: string },
): Promise<T> {
  let stallTimer: NodeJS.Timeout | undefined;
  let reject!: (error: RemoteFailure) => void;
  const expired = new Promise<never>((_, r) => (reject = r));
  const arm = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(
      () => reject(new RemoteFailure(`${what}: no answer within ${seconds(stall)}`, 'silent')),
      stall,
    );
  };
  arm();
  const capTimer = setTimeout(
    () => reject(new RemoteFailure(`${what}: not done within ${seconds(cap)}`, 'transient')),
    cap,
  );
  try {
    return await Promise.race([work(arm), expired]);
  } finally {
    clearTimeout(stallTimer);
    clearTimeout(capTimer);
  }
}

function retrying<T>(
  what: string,
  store: ObjectStore,
  fn: () => Promise<T>,
  options: TransferOptions,
): Promise<T> {
  let silent = 0;
  return pRetry(fn, {
    retries: Math.max(options.retries ?? DEFAULTS.retries, SILENT_ATTEMPTS - 1),
    minTimeout: options.minTimeout ?? DEFAULTS.minTimeout,
    maxTimeout: 10_000,
    factor: 2,
    randomize: true,
    onFailedAttempt: ({ error }) => {
      if (error instanceof RemoteFailure && error.kind === 'silent') silent++;
    },
    // A truncated body hashes wrong too, so a bad md5 is tried again before it is called corrupt.
    // (once: a second bad hash means the object itself is bad). A request that gets no answer
    // is tried SILENT_ATTEMPTS times in all, so a dead endpoint costs a bounded time.
    shouldRetry: ({ error, attemptNumber }) =>
      error instanceof CorruptObject
        ? attemptNumber < 2
        : error instanceof RemoteFailure &&
          (error.kind === 'silent'
            ? silent < SILENT_ATTEMPTS
            : error.kind === 'transient' && attemptNumber <= (options.retries ?? DEFAULTS.retries)),
  }).catch((error: unknown) => {
    if (error instanceof PipelineError) throw error;
    if (error instanceof CorruptObject)
      throw new PipelineError('remote', error.message, {
        hint: 'The object in the remote does not match its name; push it again from a good copy, or remove it from the remote.',
      });
    const failure = error instanceof RemoteFailure ? error : classify(error, what);
    if (failure.kind === 'silent')
      throw new PipelineError(
        'remote',
        `${what}: no answer from ${store.endpoint} (${silent} request${silent === 1 ? '' : 's'}, ${seconds(store.requestTimeout)} each)`,
        {
          cause: error,
          hint: `Check the network and the endpoint. To allow more time, pass --timeout SECONDS or set MLOPS_REMOTE_TIMEOUT (${seconds(store.requestTimeout * SILENT_ATTEMPTS)} now).`,
        },
      );
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
  const asked =
    keys.length === 1 ? `${store.label}/${keys[0]}` : `${store.label}: ${keys.length} objects`;
  const present = await retrying(asked, store, () => store.existing(keys), options);
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
          throw new PipelineError(
            'data',
            `${oid}: not in the local cache (${cache.dir}), so it cannot be pushed`,
            {
              hint: 'Run `mlops data add PATH` for the data first.',
            },
          );
        const { size } = await stat(cache.path(oid));
        const what = `${store.label}/${key}`;
        const watch = {
          stall: options.stallTimeout ?? store.requestTimeout,
          cap: (options.uploadTimeout ?? DEFAULTS.uploadTimeout) + size / 1000,
          what,
        };
        await retrying(
          what,
          store,
          () => watched((progress) => store.upload(cache.path(oid), key, progress), watch),
          options,
        );
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
  const what = `${store.label}/${key}`;
  const target = await cache.writable(oid);
  const tmp = tempPath(target);
  const hash = createHash('md5');
  try {
    const body = await store.download(key);
    // A connection that dies without a FIN leaves a stream that never ends, and an endpoint
    // that never answers one that never starts: cut it after a silence.
    let timer: NodeJS.Timeout | undefined;
    let received = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          body.destroy(
            received
              ? new RemoteFailure(`${what}: no data for ${seconds(stallTimeout)}`, 'transient')
              : new RemoteFailure(`${what}: no answer within ${seconds(stallTimeout)}`, 'silent'),
          ),
        stallTimeout,
      );
    };
    arm();
    await pipeline(
      body,
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          received = true;
          arm();
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(tmp),
    )
      .finally(() => clearTimeout(timer))
      .catch((error: unknown) => {
        throw classify(error, what);
      });
    const md5 = hash.digest('hex');
    if (md5 !== expectedMd5(oid))
      throw new CorruptObject(
        `${what}: corrupt object: its bytes hash to ${md5}, not ${expectedMd5(oid)}`,
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
        await retrying(
          `${store.label}/${objectKey(oid)}`,
          store,
          () => downloadOnce(cache, store, oid, options.stallTimeout ?? store.requestTimeout),
          options,
        );
        transferred.push(oid);
        options.onObject?.(oid, 'downloaded');
      }),
    ),
  );
  return { transferred, skipped };
}
