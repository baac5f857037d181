/**
 * The data contract: what mlops.yaml says the columns must hold (types, missing
 * values, ranges, categories, unique ids), checked on every load. A violation
 * either fails the run or drops its rows, as data.on_violation says.
 */
import type { DataConfig } from '../config/schema.js';
import type { Task } from '../config/metrics.js';
import { PipelineError } from '../errors.js';
import type { TypeViolation } from './load.js';
import { column, isMissing, takeRows, type Table } from './table.js';

export type ContractRule =
  'not_numeric' | 'missing' | 'below_min' | 'above_max' | 'unknown_category' | 'duplicate_id';

export interface Violation {
  column: string;
  rule: ContractRule;
  count: number;
  /** Source row numbers (1-based) of the first offending rows. */
  rows: number[];
  /** The offending values of those rows, as text. */
  values: string[];
}

export interface ContractReport {
  violations: Violation[];
  /** Rows removed because they broke the contract (on_violation: drop). */
  droppedRows: number;
  /** Rows removed because their target is missing (the target is in allow_missing). */
  unlabelledRows: number;
}

const SHOWN = 5;

const RULE_TEXT: Record<ContractRule, (n: number) => string> = {
  not_numeric: (n) => `${n} value${n === 1 ? ' is' : 's are'} not a number`,
  missing: (n) =>
    `${n} value${n === 1 ? ' is' : 's are'} missing (the column is not in data.allow_missing)`,
  below_min: (n) => `${n} value${n === 1 ? ' is' : 's are'} below the contract's min`,
  above_max: (n) => `${n} value${n === 1 ? ' is' : 's are'} above the contract's max`,
  unknown_category: (n) =>
    `${n} value${n === 1 ? ' is' : 's are'} not among the contract's categories`,
  duplicate_id: (n) => `${n} id${n === 1 ? ' is' : 's are'} duplicated`,
};

export function describeViolation(v: Violation): string {
  const rows = v.rows
    .map((r, i) =>
      v.values[i] === undefined ? `row ${r}` : `row ${r}: ${JSON.stringify(v.values[i])}`,
    )
    .join(', ');
  return `column "${v.column}": ${RULE_TEXT[v.rule](v.count)} (${rows}${v.count > v.rows.length ? ', …' : ''})`;
}

class Collector {
  private readonly byKey = new Map<string, Violation>();
  readonly badRows = new Set<number>();

  add(table: Table, columnName: string, rule: ContractRule, row: number, value?: string): void {
    const key = `${columnName}\u0000${rule}`;
    let v = this.byKey.get(key);
    if (!v) {
      v = { column: columnName, rule, count: 0, rows: [], values: [] };
      this.byKey.set(key, v);
    }
    v.count++;
    if (v.rows.length < SHOWN) {
      v.rows.push(table.rowNumbers[row]!);
      if (value !== undefined) v.values.push(value);
    }
    this.badRows.add(row);
  }

  get violations(): Violation[] {
    return [...this.byKey.values()];
  }
}

/** Check `table` against the contract; returns the table to use and what was found. */
export function enforceContract(
  table: Table,
  data: DataConfig,
  task: Task,
  typeViolations: readonly TypeViolation[],
  label: string,
): { table: Table; report: ContractReport } {
  const found = new Collector();
  const allowMissing = new Set(data.allow_missing);
  const notNumeric = new Set<string>();
  for (const tv of typeViolations) {
    found.add(table, tv.column, 'not_numeric', tv.row, tv.value);
    notNumeric.add(`${tv.column}\u0000${tv.row}`);
  }
  const checked = [
    ...data.features,
    { name: data.target, type: task === 'regression' ? 'numeric' : 'categorical' } as const,
  ];
  for (const feature of checked) {
    const col = column(table, feature.name);
    const isTarget = feature.name === data.target;
    for (let i = 0; i < table.rowCount; i++) {
      if (isMissing(col, i)) {
        if (!allowMissing.has(feature.name) && !notNumeric.has(`${feature.name}\u0000${i}`))
          found.add(table, feature.name, 'missing', i);
        continue;
      }
      if (isTarget) continue;
      // A parsed config leaves out the keys it did not get: a feature with only
      // `max` has no `min` key at all, so test for each bound on its own.
      if (col.type === 'numeric' && ('min' in feature || 'max' in feature)) {
        const x = col.values[i]!;
        if ('min' in feature && feature.min !== undefined && x < feature.min)
          found.add(table, feature.name, 'below_min', i, String(x));
        if ('max' in feature && feature.max !== undefined && x > feature.max)
          found.add(table, feature.name, 'above_max', i, String(x));
      } else if (col.type === 'categorical' && 'categories' in feature && feature.categories) {
        const x = col.values[i]!;
        if (!feature.categories.includes(x))
          found.add(table, feature.name, 'unknown_category', i, x);
      }
    }
  }
  if (data.id) {
    const ids = column(table, data.id);
    const seen = new Set<string>();
    for (let i = 0; i < table.rowCount; i++) {
      const id = ids.type === 'numeric' ? String(ids.values[i]) : ids.values[i];
      if (id == null || (ids.type === 'numeric' && Number.isNaN(ids.values[i]))) {
        found.add(table, data.id, 'missing', i);
      } else if (seen.has(id)) found.add(table, data.id, 'duplicate_id', i, id);
      else seen.add(id);
    }
  }

  const violations = found.violations;
  if (violations.length && data.on_violation === 'fail') {
    throw new PipelineError(
      'data',
      `${label} breaks the data contract:\n${violations.map((v) => `  ${describeViolation(v)}`).join('\n')}`,
      {
        hint: 'Fix the data, widen the contract in mlops.yaml, or set data.on_violation: drop to leave those rows out.',
      },
    );
  }
  let kept = table;
  let droppedRows = 0;
  if (found.badRows.size) {
    const keep: number[] = [];
    for (let i = 0; i < table.rowCount; i++) if (!found.badRows.has(i)) keep.push(i);
    kept = takeRows(table, keep);
    droppedRows = table.rowCount - keep.length;
  }
  // Rows without a target cannot be trained on or scored: they leave, counted.
  const target = column(kept, data.target);
  const labelled: number[] = [];
  for (let i = 0; i < kept.rowCount; i++) if (!isMissing(target, i)) labelled.push(i);
  const unlabelledRows = kept.rowCount - labelled.length;
  if (unlabelledRows) kept = takeRows(kept, labelled);
  return { table: kept, report: { violations, droppedRows, unlabelledRows } };
}
