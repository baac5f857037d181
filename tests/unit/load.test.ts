import { DuckDBInstance } from '@duckdb/node-api';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { readDataset } from '../../pipeline/data/dataset.js';
import { loadTable, type ColumnRequest } from '../../pipeline/data/load.js';
import { column } from '../../pipeline/data/table.js';
import { PipelineError } from '../../pipeline/errors.js';
import { REPO, penguinRows, tempProject, type TempProject } from '../helpers/project.js';

const PENGUIN_COLUMNS: ColumnRequest[] = [
  { name: 'Island', type: 'categorical' },
  { name: 'Beak Length (mm)', type: 'numeric' },
  { name: 'Beak Depth (mm)', type: 'numeric' },
  { name: 'Flipper Length (mm)', type: 'numeric' },
  { name: 'Body Mass (g)', type: 'numeric' },
  { name: 'Sex', type: 'categorical' },
  { name: 'Species', type: 'categorical' },
];

/** A small classification pipeline over `data.csv` (or whatever the pointer names). */
const SMALL_CONFIG = `
data:
  target: y
  features:
    - { name: a, type: numeric, min: 0, max: 100 }
    - { name: c, type: categorical, categories: [x, y, z] }
model: { task: classification, epochs: 2 }
`;

let project: TempProject;

beforeAll(async () => {
  project = await tempProject();
  // The penguins as CSV and Parquet, converted by DuckDB from the JSON the repository keeps.
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const json = join(REPO, 'data', 'penguins.json');
  await conn.run(
    `COPY (SELECT * FROM read_json('${json}')) TO '${project.path('penguins.csv')}' (HEADER)`,
  );
  await conn.run(
    `COPY (SELECT * FROM read_json('${json}')) TO '${project.path('penguins.parquet')}' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
});
afterAll(() => project.remove());

async function dataError(csv: string, config = SMALL_CONFIG, file = 'data.csv') {
  await project.writeDataset(file, csv);
  const loaded = await loadConfig(await project.write('mlops.yaml', config));
  const error = await readDataset(loaded).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as PipelineError).code).toBe('data');
  return (error as PipelineError).message;
}

describe('load', () => {
  it('reads CSV, JSON and Parquet into the same typed columns', async () => {
    const json = await loadTable(join(REPO, 'data', 'penguins.json'), 'json', PENGUIN_COLUMNS);
    const csv = await loadTable(project.path('penguins.csv'), 'csv', PENGUIN_COLUMNS);
    const parquet = await loadTable(project.path('penguins.parquet'), 'parquet', PENGUIN_COLUMNS);
    const rows = await penguinRows();
    expect(json.table.rowCount).toBe(rows.length);
    expect(json.typeViolations).toEqual([]);
    const mass = column(json.table, 'Body Mass (g)');
    expect(mass.type).toBe('numeric');
    expect(mass.values[0]).toBe(rows[0]!['Body Mass (g)']);
    // Missing numbers are NaN, missing categories null.
    const missingAt = rows.findIndex((r) => r['Body Mass (g)'] == null);
    expect(Number.isNaN(mass.values[missingAt]!)).toBe(true);
    const sex = column(json.table, 'Sex');
    expect(sex.values[rows.findIndex((r) => r['Sex'] == null)]).toBeNull();
    for (const other of [csv, parquet]) {
      expect(other.table.rowCount).toBe(json.table.rowCount);
      expect(other.typeViolations).toEqual([]);
      for (const { name } of PENGUIN_COLUMNS)
        expect(column(other.table, name), name).toEqual(column(json.table, name));
    }
  });

  it('reads the same dataset whichever format the pointer names, told by the extension', async () => {
    const config = (await readFile(join(REPO, 'mlops.yaml'), 'utf8')).replace(
      'pointer: data.dvc',
      'pointer: formats.dvc',
    );
    await project.write('mlops.yaml', config);
    const datasets = [];
    for (const file of ['penguins.csv', 'penguins.parquet']) {
      await project.writePointer(file, 'formats.dvc');
      datasets.push(await readDataset(await loadConfig(project.path('mlops.yaml'))));
    }
    await project.writeDataset(
      'data/penguins.json',
      await readFile(join(REPO, 'data', 'penguins.json')),
      'formats.dvc',
    );
    datasets.push(await readDataset(await loadConfig(project.path('mlops.yaml'))));
    expect(datasets.map((d) => d.source.format)).toEqual(['csv', 'parquet', 'json']);
    for (const d of datasets.slice(0, 2)) {
      expect(d.table).toEqual(datasets[2]!.table);
      expect(d.classes).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    }
  });

  it('reads numbers written as text in a JSON file like the same cells of a CSV', async () => {
    await project.write(
      'mixed.json',
      '[{"a": 1.5, "c": "x"}, {"a": "2", "c": 3}, {"a": null, "c": null}]',
    );
    await project.write('mixed.csv', 'a,c\n1.5,x\n2,3\n,\n');
    const requests: ColumnRequest[] = [
      { name: 'a', type: 'numeric' },
      { name: 'c', type: 'categorical' },
    ];
    const json = await loadTable(project.path('mixed.json'), 'json', requests);
    const csv = await loadTable(project.path('mixed.csv'), 'csv', requests);
    expect(column(json.table, 'a')).toEqual(column(csv.table, 'a'));
    expect(column(json.table, 'c')).toEqual({ type: 'categorical', values: ['x', '3', null] });
    expect(column(csv.table, 'c')).toEqual(column(json.table, 'c'));
  });

  it('turns dates into days since 1970', async () => {
    await project.write('dates.csv', 'd\n1970-01-02\n1971-01-01\n');
    const { table } = await loadTable(project.path('dates.csv'), 'csv', [
      { name: 'd', type: 'numeric' },
    ]);
    expect(Array.from(column(table, 'd').values as Float64Array)).toEqual([1, 365]);
  });
});

describe('dataset errors', () => {
  it('names a feature column the data lacks, and the closest one it has', async () => {
    const config = SMALL_CONFIG.replace('name: c,', 'name: Island,');
    const message = await dataError('a,island,y\n1,x,p\n2,y,q\n', config);
    expect(message).toContain('data.csv: has no column "Island" (did you mean "island"?)');
    expect(message).toContain('its columns are "a", "island", "y"');
  });

  it('refuses a classification target with a single class', async () => {
    const message = await dataError('a,c,y\n1,x,p\n2,y,p\n3,z,p\n');
    expect(message).toContain('target "y" has a single class ("p")');
  });

  it('refuses an empty dataset, whatever its format', async () => {
    expect(await dataError('a,c,y\n')).toBe('data.csv: has no rows');
    expect(await dataError('')).toBe('data.csv: has no rows');
    const json = SMALL_CONFIG.replace('data:', 'data:\n  format: json');
    expect(await dataError('[]', json, 'data.json')).toBe('data.json: has no rows');
  });

  it('names the column, the row and the value of text in a numeric column', async () => {
    const message = await dataError('a,c,y\n1,x,p\n2,y,q\nabc,x,p\n4,y,q\n');
    expect(message).toContain('data.csv breaks the data contract');
    expect(message).toContain('column "a": 1 value is not a number (row 3: "abc")');
    const json = await dataError(
      '[{"a":1,"c":"x","y":"p"},{"a":"lots","c":"y","y":"q"}]',
      SMALL_CONFIG,
      'data.json',
    );
    expect(json).toContain('column "a": 1 value is not a number (row 2: "lots")');
  });

  it('names rows outside the contract: range, categories, missing values', async () => {
    const message = await dataError('a,c,y\n1,x,p\n200,y,q\n-1,w,p\n,y,q\n');
    expect(message).toContain(`column "a": 1 value is above the contract's max (row 2: "200")`);
    expect(message).toContain(`column "a": 1 value is below the contract's min (row 3: "-1")`);
    expect(message).toContain(
      `column "c": 1 value is not among the contract's categories (row 3: "w")`,
    );
    expect(message).toContain(
      'column "a": 1 value is missing (the column is not in data.allow_missing) (row 4)',
    );
  });

  it('drops the rows that break the contract when on_violation is drop', async () => {
    await project.writeDataset('data.csv', 'a,c,y\n1,x,p\n200,y,q\n3,x,q\n4,y,p\n,z,\n');
    const config = SMALL_CONFIG.replace(
      'data:',
      'data:\n  on_violation: drop\n  allow_missing: [a, y]',
    );
    const dataset = await readDataset(await loadConfig(await project.write('mlops.yaml', config)));
    expect(dataset.table.rowCount).toBe(3);
    expect(Array.from(dataset.table.rowNumbers)).toEqual([1, 3, 4]);
    expect(dataset.contract).toMatchObject({ droppedRows: 1, unlabelledRows: 1 });
    expect(dataset.classes).toEqual(['p', 'q']);
  });

  it('refuses data whose md5 is not the one the pointer records', async () => {
    await project.writeDataset('data.csv', 'a,c,y\n1,x,p\n2,y,q\n');
    await project.write('data.csv', 'a,c,y\n1,x,p\n2,y,p\n');
    const loaded = await loadConfig(await project.write('mlops.yaml', SMALL_CONFIG));
    await expect(readDataset(loaded)).rejects.toThrow(
      /data\.csv: its md5 is [0-9a-f]{32} but data\.dvc records/,
    );
  });

  it('refuses a per-class gate on a class the target does not have, as a config error', async () => {
    await project.writeDataset('data.csv', 'a,c,y\n1,x,Adelie\n2,y,Gentoo\n');
    const config = `${SMALL_CONFIG}gates:\n  recall.Adeli: { min: 0.9 }\n`;
    const loaded = await loadConfig(await project.write('mlops.yaml', config));
    const error = await readDataset(loaded).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('config');
    expect((error as PipelineError).message).toBe(
      'mlops.yaml: gates["recall.Adeli"]: the target "y" has no class "Adeli" (did you mean "Adelie"?); its classes are Adelie, Gentoo',
    );
    expect((error as PipelineError).details.location?.line).toBe(
      config.split('\n').indexOf('  recall.Adeli: { min: 0.9 }') + 1,
    );
    const fixed = config.replace('recall.Adeli', 'recall.Adelie');
    const dataset = await readDataset(await loadConfig(await project.write('mlops.yaml', fixed)));
    expect(dataset.classes).toEqual(['Adelie', 'Gentoo']);
  });

  it('refuses duplicate ids', async () => {
    const config = SMALL_CONFIG.replace('data:', 'data:\n  id: id');
    const message = await dataError('id,a,c,y\n1,1,x,p\n2,2,y,q\n1,3,x,p\n', config);
    expect(message).toContain('column "id": 1 id is duplicated (row 3: "1")');
  });
});
