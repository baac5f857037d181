import { describe, expect, it } from 'vitest';
import type { DataConfig } from '../../pipeline/config/schema.js';
import { enforceContract } from '../../pipeline/data/contract.js';
import type { Table } from '../../pipeline/data/table.js';
import { PipelineError } from '../../pipeline/errors.js';

function table(): Table {
  const n = 8;
  return {
    rowCount: n,
    rowNumbers: Int32Array.from({ length: n }, (_, i) => i + 1),
    columns: new Map([
      ['id', { type: 'categorical' as const, values: ['a', 'b', 'c', 'c', 'd', 'e', 'f', 'g'] }],
      [
        'mass',
        {
          type: 'numeric' as const,
          values: Float64Array.from([10, 20, 900, 30, NaN, 950, 40, 990]),
        },
      ],
      [
        'island',
        { type: 'categorical' as const, values: ['x', 'y', 'x', 'z', 'x', 'y', 'x', 'y'] },
      ],
      ['label', { type: 'categorical' as const, values: ['p', 'q', 'p', 'q', 'p', 'q', 'p', 'q'] }],
    ]),
  };
}

const data = (on_violation: 'fail' | 'drop'): DataConfig => ({
  pointer: 'data.dvc',
  target: 'label',
  id: 'id',
  features: [
    { name: 'mass', type: 'numeric', max: 100 },
    { name: 'island', type: 'categorical', categories: ['x', 'y'] },
  ],
  allow_missing: [],
  on_violation,
  drift: { psi: 0.2, ks_pvalue: 0.05 },
});

describe('data contract', () => {
  it('fails naming column, rule, count and the first offending rows', () => {
    let error: unknown;
    try {
      enforceContract(table(), data('fail'), 'classification', [], 'data/t.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PipelineError);
    const message = (error as PipelineError).message;
    expect(message).toContain(
      'column "mass": 3 values are above the contract\'s max (row 3: "900", row 6: "950", row 8: "990")',
    );
    expect(message).toContain('column "mass": 1 value is missing');
    expect(message).toContain(
      'column "island": 1 value is not among the contract\'s categories (row 4: "z")',
    );
    expect(message).toContain('column "id": 1 id is duplicated (row 4: "c")');
  });

  it('drop mode leaves the offending rows out and reports each violation', () => {
    const { table: kept, report } = enforceContract(
      table(),
      data('drop'),
      'classification',
      [],
      'data/t.csv',
    );
    expect(kept.rowCount).toBe(3);
    expect(Array.from(kept.rowNumbers)).toEqual([1, 2, 7]);
    expect(report.droppedRows).toBe(5);
    expect(report.violations.map((v) => [v.column, v.rule, v.count, v.rows])).toEqual([
      ['mass', 'above_max', 3, [3, 6, 8]],
      ['mass', 'missing', 1, [5]],
      ['island', 'unknown_category', 1, [4]],
      ['id', 'duplicate_id', 1, [4]],
    ]);
  });
});
