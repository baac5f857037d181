/**
 * Pull a DuckDB result into typed columns chunk by chunk, without a JS value per
 * cell where it can be avoided: DOUBLE vectors are copied straight into a
 * Float64Array, categories arrive as integer codes into a small dictionary, and
 * only text goes through strings. The result is streamed, so DuckDB never holds
 * a second copy of the whole table, and every chunk is counted against a memory
 * budget: an oversized dataset stops with a message instead of taking the
 * process down.
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import { PipelineError } from '../errors.js';

export type ColumnPlan =
  /** A DOUBLE expression; NULL comes out as NaN, and a non-finite value is reported. */
  | { kind: 'double'; expr: string }
  /** An INTEGER code into `dictionary`, -1 for NULL. */
  | { kind: 'code'; expr: string; dictionary: string[] }
  /** VARCHAR values, kept as strings (or parsed as numbers by the caller). */
  | { kind: 'text'; expr: string };

export type ColumnData = Float64Array | Int32Array | (string | null)[];

/** A typed array that doubles when full: for results whose row count is not known ahead. */
class Growing<T extends Float64Array | Int32Array> {
  private data: T;
  length = 0;
  constructor(
    private readonly make: (n: number) => T,
    capacity: number,
  ) {
    this.data = make(Math.max(capacity, 2048));
  }
  append(part: T): void {
    if (this.length + part.length > this.data.length) {
      const next = this.make(Math.max(this.data.length * 2, this.length + part.length));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(part, this.length);
    this.length += part.length;
  }
  done(): T {
    return this.length === this.data.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

/** A value in a DOUBLE column that is infinite or NaN in the data itself (not a missing value). */
interface NonFinite {
  /** Index into the plans. */
  column: number;
  /** 0-based row. */
  row: number;
  value: number;
}

function rawData(chunk: DuckDBDataChunk, column: number, bytes: number): Uint8Array {
  return duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, column), bytes);
}

/**
 * A chunk's doubles, NULL set to NaN (from the validity mask: NULL and a NaN in
 * the data are told apart), and each non-finite value of the data reported.
 */
function doubles(
  chunk: DuckDBDataChunk,
  column: number,
  rows: number,
  first: number,
  bad: NonFinite[],
): Float64Array {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const raw = duckdb.vector_get_data(vector, rows * 8);
  const values = new Float64Array(raw.buffer, raw.byteOffset, rows).slice();
  // One bit per row, little-endian 64-bit words; null when every row is valid.
  const validity = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
  for (let i = 0; i < rows; i++) {
    if (validity && !((validity[i >> 3]! >> (i & 7)) & 1)) values[i] = NaN;
    else if (!Number.isFinite(values[i]!)) {
      bad.push({ column, row: first + i, value: values[i]! });
      values[i] = NaN;
    }
  }
  return values;
}

export interface ReadColumnsOptions {
  label: string;
  /** Bytes the columns may take; past it the read stops with an error. */
  maxBytes: number;
  /** Rows expected (a Parquet footer says so for free): the columns are allocated once. */
  expectedRows?: number;
}

function tooLarge(
  label: string,
  rows: number,
  columns: number,
  need: number,
  budget: number,
): PipelineError {
  return new PipelineError(
    'data',
    `${label}: too large for memory: ${rows} rows of ${columns} columns need about ${Math.round(need / 2 ** 20)} MB, over the ${Math.round(budget / 2 ** 20)} MB budget`,
    {
      hint: 'Load fewer columns (data.features), sample the file, or run on a machine with more memory.',
    },
  );
}

export async function readColumns(
  conn: DuckDBConnection,
  from: string,
  plans: readonly ColumnPlan[],
  { label, maxBytes, expectedRows = 0 }: ReadColumnsOptions,
): Promise<{ rowCount: number; columns: ColumnData[]; nonFinite: NonFinite[] }> {
  // Estimated bytes per row: 8 per number, 4 per code (and 8 for its string reference), ~48 per text cell.
  const perRow = plans.reduce(
    (sum, p) => sum + (p.kind === 'double' ? 8 : p.kind === 'code' ? 12 : 48),
    0,
  );
  if (expectedRows * perRow > maxBytes)
    throw tooLarge(label, expectedRows, plans.length, expectedRows * perRow, maxBytes);
  const builders = plans.map((p) =>
    p.kind === 'double'
      ? new Growing((n) => new Float64Array(n), expectedRows)
      : p.kind === 'code'
        ? new Growing((n) => new Int32Array(n), expectedRows)
        : ([] as (string | null)[]),
  );
  let rowCount = 0;
  const nonFinite: NonFinite[] = [];
  try {
    const result = await conn.stream(`SELECT ${plans.map((p) => p.expr).join(', ')} FROM ${from}`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.rowCount;
      if ((rowCount + rows) * perRow > maxBytes)
        throw tooLarge(label, rowCount + rows, plans.length, (rowCount + rows) * perRow, maxBytes);
      plans.forEach((plan, c) => {
        const builder = builders[c]!;
        if (plan.kind === 'double') {
          (builder as Growing<Float64Array>).append(doubles(chunk, c, rows, rowCount, nonFinite));
        } else if (plan.kind === 'code') {
          const raw = rawData(chunk, c, rows * 4);
          (builder as Growing<Int32Array>).append(new Int32Array(raw.buffer, raw.byteOffset, rows));
        } else {
          const vector = chunk.getColumnVector(c);
          const out = builder as (string | null)[];
          for (let i = 0; i < rows; i++) {
            const v = vector.getItem(i);
            out.push(v == null ? null : String(v));
          }
        }
      });
      rowCount += rows;
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError || /out of memory|could not allocate/i.test(message))
      throw new PipelineError(
        'data',
        `${label}: too large for memory (${message.split('\n')[0]})`,
        {
          hint: 'Load fewer columns (data.features), sample the file, or run on a machine with more memory.',
          cause: error,
        },
      );
    throw new PipelineError('data', `${label}: cannot read (${message.split('\n')[0]})`, {
      cause: error,
    });
  }
  return { rowCount, columns: builders.map((b) => (Array.isArray(b) ? b : b.done())), nonFinite };
}
