/** Typed columns: what load produces and every later stage reads. */
export type Column =
  | { type: 'numeric'; values: Float64Array } // NaN where missing
  | { type: 'categorical'; values: (string | null)[] };

export type DataFormat = 'csv' | 'json' | 'parquet';

export interface Table {
  columns: Map<string, Column>;
  rowCount: number;
  /** 1-based position of each row in the source file, kept through drops for messages. */
  rowNumbers: Int32Array;
}

export function column(table: Table, name: string): Column {
  const col = table.columns.get(name);
  if (!col) throw new Error(`column ${name} was not loaded`);
  return col;
}

export function isMissing(col: Column, i: number): boolean {
  return col.type === 'numeric' ? Number.isNaN(col.values[i]!) : col.values[i] == null;
}

/** The rows at `indices`, in that order. */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const columns = new Map<string, Column>();
  for (const [name, col] of table.columns) {
    if (col.type === 'numeric') {
      const values = new Float64Array(indices.length);
      for (let i = 0; i < indices.length; i++) values[i] = col.values[indices[i]!]!;
      columns.set(name, { type: 'numeric', values });
    } else {
      const values = new Array<string | null>(indices.length);
      for (let i = 0; i < indices.length; i++) values[i] = col.values[indices[i]!]!;
      columns.set(name, { type: 'categorical', values });
    }
  }
  const rowNumbers = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) rowNumbers[i] = table.rowNumbers[indices[i]!]!;
  return { columns, rowCount: indices.length, rowNumbers };
}
