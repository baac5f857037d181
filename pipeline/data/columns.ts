/**
 * Pull a DuckDB result into typed columns chunk by chunk, without a JS value per
 * cell where it can be avoided: DOUBLE vectors are copied straight into a
 * Float64Array, categories arrive as integer codes into a small dictionary, and
 * only text goes through strings. The row count is checked against a memory
 * budget before the columns are allocated, so an oversized dataset stops with a
 * message instead of taking the process down.
 */
import duckdb from '@duckdb/node-bindings';
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import { PipelineError } from '../errors.js';

export type ColumnPlan =
  /** A DOUBLE expression, NULL already turned into NaN. */
  | { kind: 'double'; expr: string }
  /** An INTEGER code into `dictionary`, -1 for NULL. */
  | { kind: 'code'; expr: string; dictionary: string[] }
  /** VARCHAR values, kept as strings (or parsed as numbers by the caller). */
  | { kind: 'text'; expr: string };

export type ColumnData = Float64Array | Int32Array | (string | null)[];

function rawData(chunk: DuckDBDataChunk, column: number, bytes: number): Uint8Array {
  return duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, column), bytes);
}

export interface ReadColumnsOptions {
  label: string;
  /** Bytes the columns may take; past it the read stops with an error. */
  maxBytes: number;
}

export async function readColumns(
  conn: DuckDBConnection,
  from: string,
  plans: readonly ColumnPlan[],
  { label, maxBytes }: ReadColumnsOptions,
): Promise<{ rowCount: number; columns: ColumnData[] }> {
  const sql = `SELECT ${plans.map((p) => p.expr).join(', ')} FROM ${from}`;
  // Estimated bytes per row: 8 per number, 4 per code, ~48 per string cell.
  const perRow = plans.reduce((sum, p) => sum + (p.kind === 'double' ? 8 : p.kind === 'code' ? 4 : 48), 0);
  let rowCount = 0;
  let columns: ColumnData[];
  try {
    // Materialised, not streamed: the row count is known before anything is
    // allocated, and its chunks are read synchronously (a streamed result costs
    // one trip to the worker pool per 2048 rows).
    const result = await conn.run(sql);
    rowCount = result.rowCount;
    // DuckDB's copy and ours live side by side while the columns are filled.
    if (rowCount * perRow * 2 > maxBytes)
      throw new PipelineError(
        'data',
        `${label}: too large for memory: ${rowCount} rows of ${plans.length} columns need about ${Math.round((rowCount * perRow * 2) / 2 ** 20)} MB, over the ${Math.round(maxBytes / 2 ** 20)} MB budget`,
        { hint: 'Load fewer columns (data.features), sample the file, or run on a machine with more memory.' },
      );
    columns = plans.map((p) =>
      p.kind === 'double'
        ? new Float64Array(rowCount)
        : p.kind === 'code'
          ? new Int32Array(rowCount)
          : new Array<string | null>(rowCount),
    );
    let offset = 0;
    for (let k = 0; k < result.chunkCount; k++) {
      const chunk = result.getChunk(k);
      const rows = chunk.rowCount;
      plans.forEach((plan, c) => {
        const target = columns[c]!;
        if (plan.kind === 'double') {
          const raw = rawData(chunk, c, rows * 8);
          (target as Float64Array).set(new Float64Array(raw.buffer, raw.byteOffset, rows), offset);
        } else if (plan.kind === 'code') {
          const raw = rawData(chunk, c, rows * 4);
          (target as Int32Array).set(new Int32Array(raw.buffer, raw.byteOffset, rows), offset);
        } else {
          const vector = chunk.getColumnVector(c);
          const out = target as (string | null)[];
          for (let i = 0; i < rows; i++) {
            const v = vector.getItem(i);
            out[offset + i] = v == null ? null : String(v);
          }
        }
      });
      offset += rows;
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError || /out of memory|could not allocate/i.test(message))
      throw new PipelineError('data', `${label}: too large for memory (${message.split('\n')[0]})`, {
        hint: 'Load fewer columns (data.features), sample the file, or run on a machine with more memory.',
        cause: error,
      });
    throw new PipelineError('data', `${label}: cannot read (${message.split('\n')[0]})`, { cause: error });
  }
  return { rowCount, columns };
}
