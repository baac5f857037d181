/**
 * The production record's store: the git ref refs/mlops/production of the
 * team's repository. Each release or rollback is one commit on it, whose parent
 * is the record before, so `git log refs/mlops/production` is the history. A
 * ref never expires, and a pull request's workflow (from a fork, in a private
 * repository) reads it with the read-only token its checkout already has.
 *
 * Written with plumbing only (hash-object, mktree, commit-tree, update-ref,
 * push): no checkout, no index, no git config needed.
 */
import type { z } from 'zod';
import { PipelineError } from '../errors.js';
import { BaselineSchema, type Baseline } from '../gate/baseline.js';
import { modelDigest } from '../model/digest.js';
import { readMetadata } from '../model/files.js';
import { readJsonFile } from '../util/json-file.js';
import { git, GitCommandError } from './git.js';
import {
  ProductionRecordSchema,
  RECORD_FORMAT,
  type ProductionEvent,
  type ProductionRecord,
  type ProductionRun,
} from './record.js';

export const PRODUCTION_REF = 'refs/mlops/production';

export interface RemoteOptions {
  /** The remote to fetch from (or push to); default `origin`, skipped when there is none. */
  remote?: string | undefined;
  /** An HTTP credential for the remote, as a GitHub token. Used for this command only. */
  token?: string | undefined;
}

export interface Production {
  /** The git commit of the record on refs/mlops/production. */
  id: string;
  record: ProductionRecord;
  /** The production model's test metrics (its reports/metrics.json). */
  metrics: Baseline;
  /** The production model's benchmark (its reports/bench.json), when one was recorded. */
  bench?: Baseline;
}

const stderrOf = (error: unknown): string =>
  error instanceof GitCommandError
    ? error.failure.stderr.trim().split('\n').at(-1) || error.message
    : String(error);

async function chosenRemote(
  repoDir: string,
  remote: string | undefined,
): Promise<string | undefined> {
  if (remote) return remote;
  const names = (await git(repoDir, ['remote'])).split('\n').map((n) => n.trim());
  return names.includes('origin') ? 'origin' : undefined;
}

/** Bring the remote's record into the local ref; a remote with no record leaves it as it is. */
export async function fetchProduction(repoDir: string, options: RemoteOptions = {}): Promise<void> {
  const remote = await chosenRemote(repoDir, options.remote);
  if (!remote) return;
  try {
    await git(
      repoDir,
      ['fetch', '--quiet', '--no-tags', remote, `+${PRODUCTION_REF}:${PRODUCTION_REF}`],
      { token: options.token },
    );
  } catch (error) {
    if (error instanceof GitCommandError && /couldn't find remote ref/i.test(error.failure.stderr))
      return;
    throw new PipelineError(
      'remote',
      `cannot fetch ${PRODUCTION_REF} from ${remote}: ${stderrOf(error)}`,
      {
        hint: 'A GitHub Actions checkout keeps no credentials: pass the workflow token (contents: read is enough).',
        cause: error,
      },
    );
  }
}

/** The commit the local ref points at, undefined when there is no production yet. */
async function tip(repoDir: string): Promise<string | undefined> {
  try {
    const out = await git(repoDir, [
      'rev-parse',
      '--verify',
      '--quiet',
      `${PRODUCTION_REF}^{commit}`,
    ]);
    return out.trim() || undefined;
  } catch (error) {
    if (error instanceof GitCommandError && error.failure.code === 1) return undefined;
    throw new PipelineError(
      'remote',
      `${repoDir}: cannot read ${PRODUCTION_REF}: ${stderrOf(error)}`,
    );
  }
}

/** A JSON file of the record at `rev`, checked against `schema`; `label` names the rev in errors. */
async function readEntry<T extends z.ZodType>(
  repoDir: string,
  rev: string,
  label: string,
  file: string,
  schema: T,
  required: boolean,
): Promise<z.infer<T> | undefined> {
  const where = `${label}:${file}`;
  let text: string;
  try {
    text = await git(repoDir, ['cat-file', 'blob', `${rev}:${file}`]);
  } catch {
    if (!required) return undefined;
    throw new PipelineError('remote', `${where}: missing from the production record`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PipelineError('remote', `${where}: not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new PipelineError('remote', `${where}: ${issue.path.join('.') || file}: ${issue.message}`, {
    hint: `Each commit on ${PRODUCTION_REF} is written by \`mlops production record\`; a hand-made one must hold a ${RECORD_FORMAT} record.json.`,
  });
}

/** The record, metrics and benchmark of one commit of the history (an id from productionLog). */
export function productionAt(repoDir: string, id: string): Promise<Production> {
  return readAt(repoDir, id, id);
}

async function readAt(repoDir: string, rev: string, label: string): Promise<Production> {
  const read = <T extends z.ZodType>(file: string, schema: T, required: boolean) =>
    readEntry(repoDir, rev, label, file, schema, required);
  const record = (await read('record.json', ProductionRecordSchema, true))!;
  const metrics = (await read('metrics.json', BaselineSchema, true))!;
  const bench = await read('bench.json', BaselineSchema, false);
  return { id: rev, record, metrics, ...(bench ? { bench } : {}) };
}

/**
 * What production is: the remote's record fetched (default `origin`, skipped
 * when the repository has no remote), then read. Undefined when there is none yet.
 */
export async function readProduction(
  repoDir: string,
  options: RemoteOptions = {},
): Promise<Production | undefined> {
  await fetchProduction(repoDir, options);
  return readLocalProduction(repoDir);
}

/** What the local ref says production is, without fetching. */
export async function readLocalProduction(repoDir: string): Promise<Production | undefined> {
  const id = await tip(repoDir);
  return id ? readAt(repoDir, id, PRODUCTION_REF) : undefined;
}

/** Every record on the local ref, newest first. */
export async function productionLog(
  repoDir: string,
): Promise<{ id: string; record: ProductionRecord }[]> {
  const head = await tip(repoDir);
  if (!head) return [];
  const ids = (await git(repoDir, ['rev-list', '--first-parent', head]))
    .split('\n')
    .filter(Boolean);
  const entries = [];
  for (const [i, id] of ids.entries()) {
    const label = i === 0 ? PRODUCTION_REF : `${PRODUCTION_REF}~${i}`;
    const record = await readEntry(repoDir, id, label, 'record.json', ProductionRecordSchema, true);
    entries.push({ id, record: record! });
  }
  return entries;
}

/** With `remote`, the record is fetched from it first and pushed to it; without, it stays local. */
export interface RecordInput extends RemoteOptions {
  event: ProductionEvent;
  /** The model that is live now, as `mlops train` wrote it. */
  modelDir: string;
  /** Its reports/metrics.json. */
  metricsPath: string;
  /** Its reports/bench.json, when it was benchmarked. */
  benchPath?: string | undefined;
  /** The git commit of the code that was deployed. */
  commit: string | null;
  /** The workflow run that deployed it. */
  run: ProductionRun | null;
  /** When it went live; now by default. */
  at?: Date;
}

/** A metrics.json or bench.json to record: valid, and of the model being recorded. */
async function recordedFile(path: string, what: string, modelVersion: string): Promise<string> {
  const json = await readJsonFile(path, what, 'input');
  const parsed = BaselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineError('input', `${path}: ${issue.path.join('.') || what}: ${issue.message}`);
  }
  if (parsed.data.model_version !== undefined && parsed.data.model_version !== modelVersion)
    throw new PipelineError(
      'input',
      `${path}: the ${what} of model ${parsed.data.model_version}, but the model recorded is ${modelVersion}`,
      { hint: 'Record the metrics and benchmark of the model that went live.' },
    );
  return `${JSON.stringify(json, null, 2)}\n`;
}

async function writeBlob(repoDir: string, text: string): Promise<string> {
  return (await git(repoDir, ['hash-object', '-w', '--stdin'], { input: text })).trim();
}

/**
 * Append a record (release or rollback) to refs/mlops/production: fetched
 * first when pushing, so it builds on the remote's newest record; pushed as a
 * fast-forward, so a writer that raced this one makes it fail rather than lose
 * a record; the local ref moves only once the push (if any) succeeded.
 */
export async function recordProduction(
  repoDir: string,
  input: RecordInput,
): Promise<{ id: string; record: ProductionRecord }> {
  const digest = await modelDigest(input.modelDir);
  const metadata = await readMetadata(input.modelDir);
  const files: Record<string, string> = {
    'metrics.json': await recordedFile(input.metricsPath, 'metrics', digest.model_version),
  };
  if (input.benchPath)
    files['bench.json'] = await recordedFile(input.benchPath, 'benchmark', digest.model_version);

  const remote = input.remote;
  if (remote) await fetchProduction(repoDir, { remote, token: input.token });
  const parent = await tip(repoDir);
  const previous = parent ? (await readAt(repoDir, parent, PRODUCTION_REF)).record : undefined;

  const at = (input.at ?? new Date()).toISOString();
  const record: ProductionRecord = {
    format: RECORD_FORMAT,
    event: input.event,
    model_version: digest.model_version,
    name: metadata.name,
    weights_sha256: digest.weights_sha256,
    files: digest.files,
    commit: input.commit,
    run: input.run,
    at,
    previous: previous?.model_version ?? null,
  };
  files['record.json'] = `${JSON.stringify(record, null, 2)}\n`;

  const entries: string[] = [];
  for (const [name, text] of Object.entries(files))
    entries.push(`100644 blob ${await writeBlob(repoDir, text)}\t${name}\n`);
  const tree = (await git(repoDir, ['mktree'], { input: entries.join('') })).trim();
  const message = `${input.event === 'release' ? 'release' : 'rollback to'} ${record.model_version}`;
  const id = (
    await git(repoDir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], {
      date: at,
    })
  ).trim();

  if (remote) {
    try {
      await git(repoDir, ['push', '--quiet', remote, `${id}:${PRODUCTION_REF}`], {
        token: input.token,
      });
    } catch (error) {
      const text = error instanceof GitCommandError ? error.failure.stderr : '';
      if (/\[rejected\]|non-fast-forward|fetch first/i.test(text))
        throw new PipelineError(
          'remote',
          `${PRODUCTION_REF} on ${remote} moved while this record was written (another release or rollback recorded itself first): nothing was recorded`,
          { hint: 'Run it again: it builds on the newest record.', cause: error },
        );
      throw new PipelineError(
        'remote',
        `cannot push ${PRODUCTION_REF} to ${remote}: ${stderrOf(error)}`,
        {
          hint: 'Writing the record needs contents: write on the repository.',
          cause: error,
        },
      );
    }
  }
  // Compare-and-swap: the local ref moves only from the record this one builds on.
  await git(repoDir, ['update-ref', '-m', message, PRODUCTION_REF, id, parent ?? '0'.repeat(40)]);
  return { id, record };
}
