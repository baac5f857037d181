/**
 * Read a CSV, JSON or Parquet file into typed columns with DuckDB: one engine for
 * the three formats, column pruning, and casts done in native code.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { extname } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { PipelineError } from '../errors.js';
import type { Column, DataFormat, Table } from './table.js';

export interface ColumnRequest {
  name: string;
  type: 'numeric' | 'categorical';
}

/** A value in a numeric column that is not a number: the contract decides what it costs. */
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

export async function loadTable(
  path: string,
  format: DataFormat,
  requests: readonly ColumnRequest[],
  label = path,
): Promise<LoadResult> {
  const conn = await duckdb();
  const from = source(path, format);
  let described: { name: string; type: string }[];
  try {
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    described = reader.getRowObjectsJS().map((r) => ({
      name: String(r['column_name']),
      type: String(r['column_type']),
    }));
  } catch (error) {
    throw new PipelineError('data', `${label}: cannot read as ${format} (${firstLine(error)})`, {
      cause: error,
    });
  }
  const available = new Map(described.map((c) => [c.name, c.type]));
  for (const req of requests) {
    if (!available.has(req.name)) {
      // A file with no rows has no columns to infer (`[]`, an empty file): say that, not
      // that a column is missing.
      if ((await countRows(conn, from)) === 0) throw noRows(label);
      const names = [...available.keys()];
      const near = names.length ? closest(req.name, names) : undefined;
      const hint =
        near && distance(req.name, near) <= Math.max(2, near.length / 3) ? ` (did you mean "${near}"?)` : '';
      throw new PipelineError(
        'data',
        `${label}: has no column "${req.name}"${hint}; its columns are ${names.map((n) => `"${n}"`).join(', ')}`,
        { hint: 'Fix the column name in mlops.yaml (data.features, data.target or data.id).' },
      );
    }
  }

  const selects = requests.map((req) => {
    const type = available.get(req.name)!;
    const col = ident(req.name);
    // A JSON column mixes value types; its strings must come out as their text, not as
    // quoted JSON, so "3" reads as it does in a CSV and a category keeps its name.
    const text = type === 'JSON' ? `json_extract_string(${col}, '$')` : `CAST(${col} AS VARCHAR)`;
    if (req.type === 'categorical') return text;
    if (NUMERIC_TYPES.test(type)) return `CAST(${col} AS DOUBLE)`;
    // Dates feed a model as days since 1970-01-01.
    if (TEMPORAL_TYPES.test(type)) return `CAST(epoch(${col}) AS DOUBLE) / 86400.0`;
    return text;
  });
  let columnsJS: unknown[][];
  try {
    const reader = await conn.runAndReadAll(`SELECT ${selects.join(', ')} FROM ${from}`);
    columnsJS = reader.getColumnsJS() as unknown[][];
  } catch (error) {
    throw new PipelineError('data', `${label}: cannot read (${firstLine(error)})`, { cause: error });
  }
  const rowCount = columnsJS[0]?.length ?? 0;
  const columns = new Map<string, Column>();
  const typeViolations: TypeViolation[] = [];
  requests.forEach((req, c) => {
    // DuckDB returns no column arrays at all for a result with no rows.
    const values = columnsJS[c] ?? [];
    if (req.type === 'categorical') {
      columns.set(req.name, {
        type: 'categorical',
        values: values.map((v) => (v == null ? null : String(v))),
      });
      return;
    }
    const out = new Float64Array(rowCount);
    for (let i = 0; i < rowCount; i++) {
      const v = values[i];
      if (v == null) out[i] = NaN;
      else if (typeof v === 'number') out[i] = v;
      else {
        // A text column the model wants as numbers: parse each cell and report what is not a number.
        const text = String(v).trim();
        const n = text === '' ? NaN : Number(text);
        if (Number.isFinite(n)) out[i] = n;
        else {
          out[i] = NaN;
          if (text !== '') typeViolations.push({ column: req.name, row: i, value: String(v) });
        }
      }
    }
    columns.set(req.name, { type: 'numeric', values: out });
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
