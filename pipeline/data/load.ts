/**
 * Read a CSV, JSON or Parquet file into typed columns with DuckDB: one engine for
 * the three formats, column pruning, and casts done in native code.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { totalmem } from 'node:os';
import { extname } from 'node:path';
import { readColumns, type ColumnPlan } from './columns.js';
import { checkCsv } from './csv.js';
import { closest, distance } from 'fastest-levenshtein';
import pLimit from 'p-limit';
import { PipelineError } from '../errors.js';
import type { Column, DataFormat, Table } from './table.js';

export interface ColumnRequest {
  name: string;
  type: 'numeric' | 'categorical';
}

/**
 * A value in a numeric column that is not a finite number (text, inf, NaN): the
 * contract decides what it costs. A missing value is an empty cell or null.
 */
export interface TypeViolation {
  column: string;
  /** 0-based row index. */
  row: number;
  value: string;
}

export interface LoadResult {
  table: Table;
  typeViolations: TypeViolation[];
}

const NUMERIC_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;
const TEMPORAL_TYPES = /^(DATE|TIMESTAMP.*)$/;

let connection: Promise<DuckDBConnection> | undefined;

/**
 * Loads share one connection, on which a streamed result ends when another query
 * starts: they take turns.
 */
const oneAtATime = pLimit(1);

async function duckdb(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((db) => db.connect());
  return connection;
}

export function formatOf(path: string, declared?: DataFormat): DataFormat {
  if (declared) return declared;
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  throw new PipelineError('data', `${path}: cannot tell the format from "${ext}"`, {
    hint: 'Set data.format in mlops.yaml to csv, json or parquet.',
  });
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function source(path: string, format: DataFormat): string {
  switch (format) {
    case 'csv':
      return `read_csv(${sqlString(path)}, header = true, auto_detect = true, sample_size = -1)`;
    case 'json':
      return `read_json(${sqlString(path)}, format = 'auto', sample_size = -1)`;
    case 'parquet':
      return `read_parquet(${sqlString(path)})`;
  }
}

export interface LoadOptions {
  /** Bytes the loaded columns may take (default: half the memory this process may use). */
  maxBytes?: number;
}

export function defaultMemoryBudget(): number {
  // In a container the cgroup limit, not the host's memory, is what ends the process.
  const limit = process.constrainedMemory?.();
  const memory = limit && limit > 0 && limit < totalmem() ? limit : totalmem();
  return Math.floor(memory / 2);
}

/** A Parquet file's row count, from its footer: the columns can be allocated once. */
async function parquetRows(conn: DuckDBConnection, from: string): Promise<number | undefined> {
  try {
    const reader = await conn.runAndReadAll(`SELECT count(*) FROM ${from}`);
    return Number(reader.getRowsJS()[0]?.[0] ?? 0);
  } catch {
    return undefined; // the read that follows reports what is wrong with the file
  }
}

/**
 * A column as text. A JSON column mixes value types; its strings must come out as
 * their text, not as quoted JSON, so "3" reads as it does in a CSV and a category
 * keeps its name.
 */
function textOf(name: string, type: string | undefined): string {
  return type === 'JSON'
    ? `json_extract_string(${ident(name)}, '$')`
    : `CAST(${ident(name)} AS VARCHAR)`;
}

/** Categories beyond this many distinct values are read as text, not as an ENUM. */
const MAX_DICTIONARY = 4096;

/** How each requested column leaves DuckDB: as doubles, as category codes, or as text. */
async function planColumns(
  conn: DuckDBConnection,
  from: string,
  requests: readonly ColumnRequest[],
  available: Map<string, string>,
  label: string,
): Promise<ColumnPlan[]> {
  const categorical = requests.filter((r) => r.type === 'categorical');
  const dictionaries = new Map<string, string[]>();
  if (categorical.length) {
    // An id-like column with millions of values comes back as NULL here, not as a huge list.
    const lists = categorical
      .map((r) => {
        const text = textOf(r.name, available.get(r.name));
        return `CASE WHEN count(DISTINCT ${text}) <= ${MAX_DICTIONARY} THEN list(DISTINCT ${text}) END`;
      })
      .join(', ');
    let reader;
    try {
      reader = await conn.runAndReadAll(`SELECT ${lists} FROM ${from}`);
    } catch (error) {
      throw new PipelineError('data', `${label}: cannot read (${firstLine(error)})`, {
        cause: error,
      });
    }
    const row = reader.getRowsJS()[0] ?? [];
    categorical.forEach((r, i) => {
      const values = row[i] as (string | null)[] | null;
      if (values) dictionaries.set(r.name, values.filter((v): v is string => v !== null).sort());
    });
  }
  return requests.map((req): ColumnPlan => {
    const type = available.get(req.name)!;
    const col = ident(req.name);
    if (req.type === 'categorical') {
      const dictionary = dictionaries.get(req.name);
      if (!dictionary || dictionary.length === 0)
        return { kind: 'text', expr: textOf(req.name, type) };
      const members = dictionary.map(sqlString).join(', ');
      return {
        kind: 'code',
        // A VARCHAR column casts to the ENUM directly; anything else goes through its text.
        expr: `COALESCE(CAST(enum_code(CAST(${type === 'VARCHAR' ? col : textOf(req.name, type)} AS ENUM(${members}))) AS INTEGER), -1)`,
        dictionary,
      };
    }
    if (NUMERIC_TYPES.test(type)) return { kind: 'double', expr: `CAST(${col} AS DOUBLE)` };
    // Dates feed a model as days since 1970-01-01.
    if (TEMPORAL_TYPES.test(type))
      return { kind: 'double', expr: `CAST(epoch(${col}) AS DOUBLE) / 86400.0` };
    return { kind: 'text', expr: textOf(req.name, type) };
  });
}

/** Column names and DuckDB types of a data file, in file order. */
export function describeTable(
  path: string,
  format: DataFormat,
  label = path,
): Promise<{ name: string; type: string }[]> {
  return oneAtATime(() => describe(path, format, label));
}

async function describe(
  path: string,
  format: DataFormat,
  label: string,
): Promise<{ name: string; type: string }[]> {
  const conn = await duckdb();
  if (format === 'csv') await checkCsv(conn, path, label);
  try {
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source(path, format)}`);
    return reader
      .getRowObjectsJS()
      .map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }));
  } catch (error) {
    throw new PipelineError('data', `${label}: cannot read as ${format} (${firstLine(error)})`, {
      cause: error,
    });
  }
}

export function loadTable(
  path: string,
  format: DataFormat,
  requests: readonly ColumnRequest[],
  label = path,
  options: LoadOptions = {},
): Promise<LoadResult> {
  return oneAtATime(() => load(path, format, requests, label, options));
}

async function load(
  path: string,
  format: DataFormat,
  requests: readonly ColumnRequest[],
  label: string,
  options: LoadOptions,
): Promise<LoadResult> {
  const conn = await duckdb();
  const from = source(path, format);
  const described = await describe(path, format, label);
  const available = new Map(described.map((c) => [c.name, c.type]));
  for (const req of requests) {
    if (!available.has(req.name)) {
      // A file with no rows has no columns to infer (`[]`, an empty file): say that, not
      // that a column is missing.
      if ((await countRows(conn, from)) === 0) throw noRows(label);
      const names = [...available.keys()];
      const near = names.length ? closest(req.name, names) : undefined;
      const hint =
        near && distance(req.name, near) <= Math.max(2, near.length / 3)
          ? ` (did you mean "${near}"?)`
          : '';
      throw new PipelineError(
        'data',
        `${label}: has no column "${req.name}"${hint}; its columns are ${names.map((n) => `"${n}"`).join(', ')}`,
        { hint: 'Fix the column name in mlops.yaml (data.features, data.target or data.id).' },
      );
    }
  }

  const plans = await planColumns(conn, from, requests, available, label);
  const {
    rowCount,
    columns: data,
    nonFinite,
  } = await readColumns(conn, from, plans, {
    label,
    maxBytes: options.maxBytes ?? defaultMemoryBudget(),
    expectedRows: format === 'parquet' ? await parquetRows(conn, from) : undefined,
  });
  const columns = new Map<string, Column>();
  // inf, -inf and NaN parse as doubles, but no model can learn from them: the contract hears of each.
  const typeViolations: TypeViolation[] = nonFinite.map((b) => ({
    column: requests[b.column]!.name,
    row: b.row,
    value: Number.isNaN(b.value) ? 'NaN' : b.value > 0 ? 'inf' : '-inf',
  }));
  requests.forEach((req, c) => {
    const plan = plans[c]!;
    const values = data[c]!;
    if (plan.kind === 'double') {
      columns.set(req.name, { type: 'numeric', values: values as Float64Array });
    } else if (plan.kind === 'code') {
      const codes = values as Int32Array;
      const out = new Array<string | null>(rowCount);
      for (let i = 0; i < rowCount; i++)
        out[i] = codes[i]! < 0 ? null : plan.dictionary[codes[i]!]!;
      columns.set(req.name, { type: 'categorical', values: out });
    } else if (req.type === 'categorical') {
      columns.set(req.name, { type: 'categorical', values: values as (string | null)[] });
    } else {
      // A text column the model wants as numbers: parse each cell and report what is not a number.
      const texts = values as (string | null)[];
      const out = new Float64Array(rowCount);
      for (let i = 0; i < rowCount; i++) {
        const v = texts[i];
        const text = v == null ? '' : v.trim();
        const n = text === '' ? NaN : Number(text);
        if (Number.isFinite(n)) out[i] = n;
        else {
          out[i] = NaN;
          if (text !== '') typeViolations.push({ column: req.name, row: i, value: v! });
        }
      }
      columns.set(req.name, { type: 'numeric', values: out });
    }
  });
  const rowNumbers = new Int32Array(rowCount);
  for (let i = 0; i < rowCount; i++) rowNumbers[i] = i + 1;
  return { table: { columns, rowCount, rowNumbers }, typeViolations };
}

async function countRows(conn: DuckDBConnection, from: string): Promise<number | undefined> {
  try {
    const reader = await conn.runAndReadAll(`SELECT count(*) FROM ${from}`);
    return Number(reader.getColumnsJS()[0]?.[0]);
  } catch {
    return undefined;
  }
}

export function noRows(label: string): PipelineError {
  return new PipelineError('data', `${label}: has no rows`, {
    hint: 'An empty dataset cannot be trained on; check the file the pointer names.',
  });
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0]!;
}
