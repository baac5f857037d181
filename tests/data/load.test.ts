/** The columnar loader: what every later stage reads, whichever way a column leaves DuckDB. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../pipeline/data/load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadTable', () => {
  it('reads numbers, dates, categories and missing values into typed columns', async () => {
    const file = join(dir, 'small.csv');
    await writeFile(file, 'n,d,c,t\n1.5,1970-01-03,b,7\n,1970-01-01,,x\n-2,,a,8\n');
    const { table, typeViolations } = await loadTable(file, 'csv', [
      { name: 'n', type: 'numeric' },
      { name: 'd', type: 'numeric' },
      { name: 'c', type: 'categorical' },
      { name: 't', type: 'numeric' },
    ]);
    expect(table.rowCount).toBe(3);
    expect(Array.from(table.columns.get('n')!.values as Float64Array)).toEqual([1.5, NaN, -2]);
    expect(Array.from(table.columns.get('d')!.values as Float64Array)).toEqual([2, 0, NaN]);
    expect(table.columns.get('c')!.values).toEqual(['b', null, 'a']);
    expect(Array.from(table.columns.get('t')!.values as Float64Array)).toEqual([7, NaN, 8]);
    expect(typeViolations).toEqual([{ column: 't', row: 1, value: 'x' }]);
  });

  it('keeps every value of a categorical column with more values than a dictionary holds', async () => {
    const file = join(dir, 'ids.csv');
    await writeFile(
      file,
      `id,x\n${Array.from({ length: 5000 }, (_, i) => `u${i},${i}`).join('\n')}\n`,
    );
    const { table } = await loadTable(file, 'csv', [
      { name: 'id', type: 'categorical' },
      { name: 'x', type: 'numeric' },
    ]);
    const ids = table.columns.get('id')!.values as string[];
    expect(new Set(ids).size).toBe(5000);
    expect(ids[4999]).toBe('u4999');
  });

  it('loads two files at once without one cutting the other short', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    await writeFile(a, `x\n${Array.from({ length: 5000 }, (_, i) => i).join('\n')}\n`);
    await writeFile(b, `x\n${Array.from({ length: 7000 }, (_, i) => i).join('\n')}\n`);
    const request = [{ name: 'x', type: 'numeric' as const }];
    const [ta, tb] = await Promise.all([
      loadTable(a, 'csv', request),
      loadTable(b, 'csv', request),
    ]);
    expect([ta.table.rowCount, tb.table.rowCount]).toEqual([5000, 7000]);
  });
});
