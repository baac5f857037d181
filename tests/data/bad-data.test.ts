/**
 * Data that cannot be read as it stands is refused with a message naming the
 * file, the row and what is wrong: non-finite numbers, duplicate column names,
 * rows with too few or too many values, an unclosed quote, and symbolic links
 * inside a tracked folder.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { readDataset } from '../../pipeline/data/dataset.js';
import { addData, openWorkspace } from '../../pipeline/data/dvc/workspace.js';
import { loadTable, type ColumnRequest } from '../../pipeline/data/load.js';
import { PipelineError } from '../../pipeline/errors.js';
import { md5File } from '../../pipeline/util/hash.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bad-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const REQUEST: ColumnRequest[] = [
  { name: 'x', type: 'numeric' },
  { name: 'label', type: 'categorical' },
];

async function load(name: string, text: string, format: 'csv' | 'json' = 'csv') {
  const file = join(dir, name);
  await writeFile(file, text);
  return loadTable(file, format, REQUEST, name);
}

async function refusal(name: string, text: string): Promise<PipelineError> {
  const error = await load(name, text).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as PipelineError).code).toBe('data');
  return error as PipelineError;
}

describe('numbers that are not finite', () => {
  it('inf, Infinity, -inf and NaN in a numeric column are not numbers, row by row; an empty cell is missing', async () => {
    const { table, typeViolations } = await load(
      'inf.csv',
      'x,label\n1.5,a\ninf,b\nInfinity,a\n-inf,b\nNaN,a\n,b\n2,a\n',
    );
    expect(typeViolations).toEqual([
      { column: 'x', row: 1, value: 'inf' },
      { column: 'x', row: 2, value: 'inf' },
      { column: 'x', row: 3, value: '-inf' },
      { column: 'x', row: 4, value: 'NaN' },
    ]);
    expect(Array.from(table.columns.get('x')!.values as Float64Array)).toEqual([
      1.5,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      2,
    ]);
  });

  it('a JSON number too large for a double (1e999) is refused too', async () => {
    const { typeViolations } = await load(
      'big.json',
      '[{"x": 1, "label": "a"}, {"x": 1e999, "label": "b"}]',
      'json',
    );
    expect(typeViolations).toEqual([{ column: 'x', row: 1, value: 'inf' }]);
  });

  it('a run refuses them, naming the file, the column and the rows', async () => {
    await mkdir(join(dir, 'run'), { recursive: true });
    const rows = [
      'x,label',
      ...Array.from({ length: 10 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'}`),
      'inf,a',
      'NaN,b',
    ];
    const data = `${rows.join('\n')}\n`;
    await writeFile(join(dir, 'run', 'rows.csv'), data);
    await writeFile(
      join(dir, 'run', 'rows.csv.dvc'),
      `outs:\n- md5: ${await md5File(join(dir, 'run', 'rows.csv'))}\n  size: ${data.length}\n  hash: md5\n  path: rows.csv\n`,
    );
    await writeFile(
      join(dir, 'run', 'mlops.yaml'),
      'data:\n  pointer: rows.csv.dvc\n  target: label\n  features: [{ name: x, type: numeric }]\nmodel: { task: classification }\n',
    );
    const error = await readDataset(await loadConfig(join(dir, 'run', 'mlops.yaml'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe(
      'rows.csv breaks the data contract:\n  column "x": 2 values are not a number (row 11: "inf", row 12: "NaN")',
    );
  });
});

describe('the shape of a CSV file', () => {
  it('refuses a column name given twice, naming both positions', async () => {
    expect((await refusal('dup.csv', 'x,label,x\n1,a,2\n')).message).toBe(
      'dup.csv: the header names column "x" twice (columns 1 and 3)',
    );
    expect((await refusal('case.csv', 'x,label,X\n1,a,2\n')).message).toMatch(
      /^case\.csv: the header names columns "x" \(column 1\) and "X" \(column 3\), names that differ only in case/,
    );
  });

  it('refuses a row with too few or too many values, naming the file and the row', async () => {
    const few = await refusal('few.csv', 'x,label,y\n1,a,1\n2,b\n3,a,3\n4,b\n');
    expect(few.message).toBe(
      'few.csv: row 2 has 2 values, but the header has 3 names (and 1 more row)',
    );
    expect(few.hint).toMatch(/one value per header name/);
    const many = await refusal('many.csv', 'x,label\n1,a\n2,b\n3,a,extra\n');
    expect(many.message).toBe('many.csv: row 3 has 3 values, but the header has 2 names');
  });

  it('refuses a quote that is never closed, naming the row', async () => {
    expect((await refusal('open.csv', 'x,label\n1,a\n2,"b\n3,a\n')).message).toBe(
      'open.csv: row 2 opens a quote (") that is never closed',
    );
    expect((await refusal('end.csv', 'x,label\n1,a\n2,"b\n')).message).toBe(
      'end.csv: row 2 opens a quote (") that is never closed',
    );
  });

  it('still reads quoted values, other delimiters and CRLF line ends', async () => {
    const quoted = await load('quoted.csv', 'x,label\n1,"a, b"\n2,"say ""hi"""\n');
    expect(quoted.table.columns.get('label')!.values).toEqual(['a, b', 'say "hi"']);
    const semicolons = await load('semi.csv', 'x;label\r\n1;a\r\n2;b\r\n');
    expect(Array.from(semicolons.table.columns.get('x')!.values as Float64Array)).toEqual([1, 2]);
  });
});

describe('data add of a folder with a symbolic link in it', () => {
  it('refuses it, naming the link, rather than leave the file out without a word', async () => {
    const repo = join(dir, 'repo');
    await mkdir(join(repo, '.dvc'), { recursive: true });
    await mkdir(join(repo, 'images'));
    await writeFile(join(repo, 'images', 'a.txt'), 'a');
    await writeFile(join(dir, 'secret.txt'), 'not data');
    await symlink(join(dir, 'secret.txt'), join(repo, 'images', 'b.txt'));
    const error = await addData(await openWorkspace(repo), join(repo, 'images')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe(
      `${join(repo, 'images', 'b.txt')}: a symbolic link inside a tracked folder; links are not tracked`,
    );
  });
});
