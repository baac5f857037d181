/**
 * The model registry: versions stored by content hash with their bundle files
 * and metadata, and the `staging` / `production` aliases that point at them.
 *
 * Layout in the store:
 *   versions/<version>/files/<bundle file>   the bundle, byte for byte
 *   versions/<version>/version.json          written last: a version is listed only once complete
 *   aliases/<alias>.json                     current version, rollback stack, log
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pRetry from 'p-retry';
import { closest } from 'fastest-levenshtein';
import { PipelineError } from '../errors.js';
import { BUNDLE_FILES, OPTIONAL_BUNDLE_FILES, readMetadata } from '../model/files.js';
import { fillFolder, type ExpectedFiles } from './fetch-target.js';
import { PreconditionFailed } from '../storage/failure.js';
import { ObjectLocked, type Store } from '../storage/store.js';
import {
  ALIASES,
  AliasRecordSchema,
  LOG_DEPTH,
  STACK_DEPTH,
  VERSION,
  VersionRecordSchema,
  type AliasName,
  type AliasRecord,
  type VersionRecord,
} from './records.js';

const versionKey = (version: string) => `versions/${version}/version.json`;
const fileKey = (version: string, name: string) => `versions/${version}/files/${name}`;
const aliasKey = (alias: AliasName) => `aliases/${alias}.json`;

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function parseRecord<T>(
  store: Store,
  key: string,
  data: Buffer,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
): T {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new PipelineError('remote', `${store.url}/${key}: not a registry record`);
  return parsed.data;
}

export function checkAlias(name: string): AliasName {
  if ((ALIASES as readonly string[]).includes(name)) return name as AliasName;
  throw new PipelineError(
    'usage',
    `alias "${name}": expected one of ${ALIASES.join(', ')} (did you mean "${closest(name, [...ALIASES])}"?)`,
  );
}

function checkVersion(version: string): string {
  if (VERSION.test(version)) return version;
  throw new PipelineError(
    'usage',
    `"${version}" is not a model version (a content hash: 4 to 64 hex digits, as \`mlops registry list\` shows)`,
  );
}

export async function readVersion(
  store: Store,
  version: string,
): Promise<VersionRecord | undefined> {
  checkVersion(version);
  const object = await store.read(versionKey(version));
  return object && parseRecord(store, versionKey(version), object.data, VersionRecordSchema);
}

export async function readAlias(store: Store, alias: AliasName): Promise<AliasRecord | undefined> {
  const object = await store.read(aliasKey(alias));
  return object && parseRecord(store, aliasKey(alias), object.data, AliasRecordSchema);
}

export interface RegisterResult {
  record: VersionRecord;
  /** False when the version was already there (its record is left as it was). */
  added: boolean;
}

/** Test metrics to record with a version: a metrics.json that scores it. */
export interface Evaluation {
  path: string;
  model_version: string;
  metrics: Record<string, number>;
}

/**
 * Store the bundle in `dir` under its content hash, byte for byte as trained,
 * with the test metrics of `evaluation` in its record (null without one).
 * Registering it again changes nothing.
 */
export async function registerBundle(
  store: Store,
  dir: string,
  evaluation?: Evaluation,
  now = new Date(),
): Promise<RegisterResult> {
  const metadata = await readMetadata(dir);
  const version = metadata.model_version;
  if (!VERSION.test(version))
    throw new PipelineError(
      'model',
      `${join(dir, 'metadata.json')}: model_version "${version}" is not a content hash`,
      { hint: 'Register a bundle as `mlops run` wrote it.' },
    );
  if (evaluation && evaluation.model_version !== version)
    throw new PipelineError(
      'model',
      `${evaluation.path}: has the metrics of model ${evaluation.model_version}, but ${dir} holds model ${version}`,
      { hint: 'Score the model with `mlops evaluate` first.' },
    );
  const existing = await readVersion(store, version);
  if (existing) return { record: existing, added: false };
  const files: VersionRecord['files'] = {};
  for (const name of BUNDLE_FILES) {
    const data = await readFile(join(dir, name)).catch(() => {
      if (OPTIONAL_BUNDLE_FILES.includes(name)) return undefined;
      throw new PipelineError('model', `${join(dir, name)}: missing from the model bundle`);
    });
    if (!data) continue;
    await store.write(fileKey(version, name), data);
    files[name] = { sha256: sha256(data), size: data.byteLength };
  }
  const record: VersionRecord = {
    format: 'mlops-registry-version/1',
    version,
    name: metadata.name,
    task: metadata.task,
    created_at: metadata.created_at,
    registered_at: now.toISOString(),
    metrics: evaluation?.metrics ?? null,
    validation_metrics: metadata.validation_metrics,
    lineage: metadata.lineage,
    files,
  };
  try {
    // Create-only: of two registrations of one version, the first record stays.
    await store.write(versionKey(version), toJson(record), { ifGeneration: null });
  } catch (error) {
    if (!(error instanceof PreconditionFailed)) throw error;
    return { record: (await readVersion(store, version))!, added: false };
  }
  return { record, added: true };
}

export async function listVersions(store: Store): Promise<VersionRecord[]> {
  const keys = (await store.list('versions/')).filter((k) =>
    /^versions\/[^/]+\/version\.json$/.test(k),
  );
  const records = await Promise.all(
    keys.map(async (key) => {
      const object = await store.read(key);
      return object && parseRecord(store, key, object.data, VersionRecordSchema);
    }),
  );
  return records
    .filter((r): r is VersionRecord => r !== undefined)
    .sort((a, b) => b.registered_at.localeCompare(a.registered_at));
}

export async function listAliases(store: Store): Promise<AliasRecord[]> {
  const records = await Promise.all(ALIASES.map((a) => readAlias(store, a)));
  return records.filter((r): r is AliasRecord => r !== undefined);
}

/**
 * The version a user names: an alias, a full version, or a unique prefix of
 * one (at least 4 characters, as git accepts short hashes).
 */
export async function resolveVersion(store: Store, ref: string): Promise<VersionRecord> {
  if ((ALIASES as readonly string[]).includes(ref)) {
    const alias = await readAlias(store, ref as AliasName);
    if (!alias)
      throw new PipelineError('remote', `${store.url}: alias ${ref} points at no version yet`, {
        hint: `Promote one with \`mlops registry promote VERSION ${ref}\`.`,
      });
    ref = alias.version;
  }
  if (!VERSION.test(ref))
    throw new PipelineError(
      'usage',
      `"${ref}" is neither a model version (hex) nor one of ${ALIASES.join(', ')}`,
    );
  const exact = await readVersion(store, ref);
  if (exact) return exact;
  const matches = (await listVersions(store)).filter((r) => r.version.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new PipelineError(
      'usage',
      `version ${ref} is ambiguous in ${store.url}: ${matches.map((m) => m.version).join(', ')}`,
    );
  throw new PipelineError('remote', `version ${ref} is not in the registry ${store.url}`, {
    hint: 'See the registered versions with `mlops registry list`.',
  });
}

/**
 * Read-modify-write of an alias with a conditional write, retried when another
 * writer got there first: each retry starts from what that writer left, so
 * concurrent moves are applied one after another and none is lost.
 */
async function updateAlias(
  store: Store,
  alias: AliasName,
  change: (current: AliasRecord | undefined) => AliasRecord | null,
): Promise<{ before: AliasRecord | undefined; after: AliasRecord }> {
  try {
    return await moveAlias(store, alias, change);
  } catch (error) {
    if (!(error instanceof ObjectLocked)) throw error;
    throw new PipelineError(
      'remote',
      `alias ${alias} in ${store.url}: another promotion or rollback holds its lock ${error.lockFile} (${error.holder}); waited ${error.waitedMs / 1000} s`,
      { hint: error.hint, cause: error },
    );
  }
}

async function moveAlias(
  store: Store,
  alias: AliasName,
  change: (current: AliasRecord | undefined) => AliasRecord | null,
): Promise<{ before: AliasRecord | undefined; after: AliasRecord }> {
  return pRetry(
    async () => {
      const object = await store.read(aliasKey(alias));
      const before = object && parseRecord(store, aliasKey(alias), object.data, AliasRecordSchema);
      const after = change(before);
      if (after === null) return { before, after: before! };
      await store.write(aliasKey(alias), toJson(after), {
        ifGeneration: object?.generation ?? null,
      });
      return { before, after };
    },
    {
      retries: 20,
      minTimeout: 5,
      maxTimeout: 200,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof PreconditionFailed,
    },
  );
}

export interface AliasMove {
  alias: AliasName;
  version: string;
  /** What the alias pointed to before; null when it is new. */
  from: string | null;
  /** False when the alias already pointed there. */
  changed: boolean;
}

export async function promote(
  store: Store,
  ref: string,
  aliasName: string,
  now = () => new Date(),
): Promise<AliasMove> {
  const alias = checkAlias(aliasName);
  const { version } = await resolveVersion(store, ref);
  const { before, after } = await updateAlias(store, alias, (current) => {
    if (current?.version === version) return null;
    const at = now().toISOString();
    const stack = [version, ...(current?.stack ?? [])].slice(0, STACK_DEPTH);
    return {
      format: 'mlops-registry-alias/1',
      alias,
      version,
      previous: stack[1] ?? null,
      stack,
      log: [
        { action: 'promote' as const, version, from: current?.version ?? null, at },
        ...(current?.log ?? []),
      ].slice(0, LOG_DEPTH),
      updated_at: at,
    };
  });
  return { alias, version, from: before?.version ?? null, changed: before !== after };
}

/** Point the alias back at the version it had before its last promotion. */
export async function rollback(
  store: Store,
  aliasName: string,
  now = () => new Date(),
): Promise<AliasMove> {
  const alias = checkAlias(aliasName);
  const { before, after } = await updateAlias(store, alias, (current) => {
    if (!current)
      throw new PipelineError('remote', `${store.url}: alias ${alias} points at no version yet`);
    if (current.stack.length < 2)
      throw new PipelineError(
        'remote',
        `${store.url}: alias ${alias} has no earlier version to roll back to (it is at ${current.version})`,
      );
    const at = now().toISOString();
    const stack = current.stack.slice(1);
    return {
      ...current,
      version: stack[0]!,
      previous: stack[1] ?? null,
      stack,
      log: [
        { action: 'rollback' as const, version: stack[0]!, from: current.version, at },
        ...current.log,
      ].slice(0, LOG_DEPTH),
      updated_at: at,
    };
  });
  return { alias, version: after.version, from: before!.version, changed: true };
}

export interface FetchResult {
  record: VersionRecord;
  /** False when the folder held this version's files already (nothing was written). */
  written: boolean;
}

/**
 * Download a registered version's bundle into `dir`, checking every file
 * against the hash recorded at registration. `dir` must be new or empty, or
 * hold exactly that bundle already; a folder with anything else in it is
 * refused, never emptied (see fetch-target.ts). Undefined when the version is
 * not registered, so a caller can fall back to training it.
 */
export async function fetchVersion(
  store: Store,
  version: string,
  dir: string,
): Promise<FetchResult | undefined> {
  const record = await readVersion(store, version);
  if (!record) return undefined;
  // A record names its files; only bundle file names may become paths, and
  // they are placed in bundle order, metadata.json last.
  const unexpected = Object.keys(record.files).find(
    (name) => !(BUNDLE_FILES as readonly string[]).includes(name),
  );
  if (unexpected !== undefined)
    throw new PipelineError(
      'remote',
      `${store.url}/${versionKey(version)}: unexpected file "${unexpected}"`,
    );
  const files: ExpectedFiles = {};
  for (const name of BUNDLE_FILES) if (record.files[name]) files[name] = record.files[name];
  const written = await fillFolder(dir, files, `model ${version}`, async (name) => {
    const key = fileKey(version, name);
    const object = await store.read(key);
    if (!object) throw new PipelineError('remote', `${store.url}/${key}: missing`);
    if (object.data.byteLength !== files[name]!.size || sha256(object.data) !== files[name]!.sha256)
      throw new PipelineError(
        'remote',
        `${store.url}/${key}: content does not match the sha256 recorded at registration`,
        { hint: 'The stored file was changed or damaged; register the model again.' },
      );
    return object.data;
  });
  return { record, written };
}
