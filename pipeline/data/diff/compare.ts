/**
 * What changed between two versions of a dataset: schema, rows (matched by id
 * when data.id is set, as a multiset of whole rows otherwise) and the drift of
 * each feature, flagged against data.drift.
 */
import type { DataConfig } from '../../config/schema.js';
import type { Task } from '../../config/metrics.js';
import { describeTable, loadTable, type ColumnRequest } from '../load.js';
import type { Column, DataFormat, Table } from '../table.js';
import { categoricalPsi, ksTwoSample, numericPsi } from './drift.js';

export interface DataVersion {
  /** For messages and the report: a path, or `data.dvc@main`. */
  label: string;
  path: string;
  format: DataFormat;
  md5: string;
}

export interface FeatureDrift {
  feature: string;
  type: 'numeric' | 'categorical';
  psi: number;
  ks?: { statistic: number; pValue: number };
  flagged: boolean;
  reasons: string[];
}

export interface DataChanges {
  base: { label: string; md5: string; rows: number };
  current: { label: string; md5: string; rows: number };
  schema: {
    added: string[];
    removed: string[];
    retyped: { column: string; from: string; to: string }[];
  };
  rows: {
    added: number;
    removed: number;
    changed: number | null;
    byId: string | null;
    unchanged: number;
  };
  drift: FeatureDrift[];
  thresholds: { psi: number; ks_pvalue: number };
}

function cell(col: Column, i: number): string {
  const v = col.values[i];
  if (col.type === 'numeric') return Number.isNaN(v as number) ? '\u0000' : String(v);
  return v === null ? '\u0000' : String(v);
}

function signatures(table: Table, names: readonly string[]): string[] {
  const cols = names.map((n) => table.columns.get(n)!);
  return Array.from({ length: table.rowCount }, (_, i) =>
    cols.map((c) => cell(c, i)).join('\u0001'),
  );
}

function rowChanges(
  base: Table,
  current: Table,
  compared: readonly string[],
  id: string | undefined,
): DataChanges['rows'] {
  const b = signatures(base, compared);
  const c = signatures(current, compared);
  if (id) {
    const ids = (t: Table) => {
      const col = t.columns.get(id)!;
      return Array.from({ length: t.rowCount }, (_, i) => cell(col, i));
    };
    const before = new Map<string, string>();
    ids(base).forEach((k, i) => before.set(k, b[i]!));
    let added = 0;
    let changed = 0;
    let unchanged = 0;
    const seen = new Set<string>();
    ids(current).forEach((k, i) => {
      seen.add(k);
      const old = before.get(k);
      if (old === undefined) added++;
      else if (old !== c[i]) changed++;
      else unchanged++;
    });
    const removed = [...before.keys()].filter((k) => !seen.has(k)).length;
    return { added, removed, changed, unchanged, byId: id };
  }
  const counts = new Map<string, number>();
  for (const s of b) counts.set(s, (counts.get(s) ?? 0) + 1);
  let added = 0;
  let unchanged = 0;
  for (const s of c) {
    const n = counts.get(s) ?? 0;
    if (n > 0) {
      counts.set(s, n - 1);
      unchanged++;
    } else added++;
  }
  const removed = [...counts.values()].reduce((a, n) => a + n, 0);
  return { added, removed, changed: null, unchanged, byId: null };
}

export async function compareData(
  base: DataVersion,
  current: DataVersion,
  data: DataConfig,
  task: Task,
): Promise<DataChanges> {
  const [baseCols, currentCols] = await Promise.all([
    describeTable(base.path, base.format, base.label),
    describeTable(current.path, current.format, current.label),
  ]);
  const baseTypes = new Map(baseCols.map((c) => [c.name, c.type]));
  const currentTypes = new Map(currentCols.map((c) => [c.name, c.type]));
  const schema: DataChanges['schema'] = {
    added: currentCols.filter((c) => !baseTypes.has(c.name)).map((c) => c.name),
    removed: baseCols.filter((c) => !currentTypes.has(c.name)).map((c) => c.name),
    retyped: currentCols
      .filter((c) => baseTypes.has(c.name) && baseTypes.get(c.name) !== c.type)
      .map((c) => ({ column: c.name, from: baseTypes.get(c.name)!, to: c.type })),
  };
  const wanted: ColumnRequest[] = [
    ...data.features.map((f) => ({ name: f.name, type: f.type })),
    { name: data.target, type: task === 'regression' ? 'numeric' : 'categorical' },
  ];
  if (data.id && !wanted.some((r) => r.name === data.id))
    wanted.push({ name: data.id, type: 'categorical' });
  // Only columns both versions have can be compared; the schema lines report the rest.
  const requests = wanted.filter((r) => baseTypes.has(r.name) && currentTypes.has(r.name));
  const [b, c] = await Promise.all([
    loadTable(base.path, base.format, requests, base.label),
    loadTable(current.path, current.format, requests, current.label),
  ]);
  const id = data.id && requests.some((r) => r.name === data.id) ? data.id : undefined;
  const compared = requests.filter((r) => r.name !== id).map((r) => r.name);
  const thresholds = data.drift;
  const drift: FeatureDrift[] = data.features
    .filter((f) => requests.some((r) => r.name === f.name))
    .map((f) => {
      const bc = b.table.columns.get(f.name)!;
      const cc = c.table.columns.get(f.name)!;
      const reasons: string[] = [];
      if (bc.type === 'numeric' && cc.type === 'numeric') {
        const psi = numericPsi(bc.values, cc.values);
        const ks = ksTwoSample(bc.values, cc.values);
        if (psi > thresholds.psi) reasons.push(`PSI ${psi.toFixed(3)} > ${thresholds.psi}`);
        if (ks.pValue < thresholds.ks_pvalue)
          reasons.push(`KS p ${ks.pValue.toExponential(2)} < ${thresholds.ks_pvalue}`);
        return { feature: f.name, type: 'numeric', psi, ks, flagged: reasons.length > 0, reasons };
      }
      const psi = categoricalPsi(bc.values as (string | null)[], cc.values as (string | null)[]);
      if (psi > thresholds.psi) reasons.push(`PSI ${psi.toFixed(3)} > ${thresholds.psi}`);
      return { feature: f.name, type: 'categorical', psi, flagged: reasons.length > 0, reasons };
    });
  return {
    base: { label: base.label, md5: base.md5, rows: b.table.rowCount },
    current: { label: current.label, md5: current.md5, rows: c.table.rowCount },
    schema,
    rows: rowChanges(b.table, c.table, compared, id),
    drift,
    thresholds,
  };
}
