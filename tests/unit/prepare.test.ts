import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../pipeline/config/schema.js';
import { column, takeRows, type Table } from '../../pipeline/data/table.js';
import {
  decodeRegression,
  describeFieldErrors,
  encodeRows,
  encodeTarget,
  fitPreprocess,
  transformTable,
} from '../../pipeline/prepare/preprocess.js';
import { openRun, type RunContext } from '../../pipeline/run/context.js';
import { penguinsProject, type TempProject } from '../helpers/project.js';

let project: TempProject;
let ctx: RunContext;

beforeAll(async () => {
  project = await penguinsProject();
  ctx = await openRun(project.path('mlops.yaml'));
});
afterAll(() => project.remove());

function meanStd(values: Iterable<number>): { mean: number; std: number } {
  const xs = [...values].filter((v) => !Number.isNaN(v));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
}

/** A hand-made table: numeric columns from number arrays (NaN = missing), categorical from strings. */
function table(columns: Record<string, (number | string | null)[]>): Table {
  const map: Table['columns'] = new Map();
  let rowCount = 0;
  for (const [name, values] of Object.entries(columns)) {
    rowCount = values.length;
    map.set(
      name,
      values.some((v) => typeof v === 'string')
        ? { type: 'categorical', values: values as (string | null)[] }
        : { type: 'numeric', values: Float64Array.from(values as number[]) },
    );
  }
  return {
    columns: map,
    rowCount,
    rowNumbers: Int32Array.from({ length: rowCount }, (_, i) => i + 1),
  };
}

const SMALL: Config = ConfigSchema.parse({
  data: {
    target: 'y',
    features: [
      { name: 'size', type: 'numeric' },
      { name: 'colour', type: 'categorical' },
    ],
    allow_missing: ['size', 'colour'],
  },
  model: { task: 'classification' },
});

describe('prepare', () => {
  it('fits the scaling and the categories on the training rows only', () => {
    const trainRows = takeRows(ctx.dataset.table, ctx.split.train);
    const pre = fitPreprocess(trainRows, ctx.loaded.config, ctx.dataset.classes);
    const mass = pre.features.find((f) => f.name === 'Body Mass (g)');
    const trainMass = meanStd(column(trainRows, 'Body Mass (g)').values as Float64Array);
    const allMass = meanStd(column(ctx.dataset.table, 'Body Mass (g)').values as Float64Array);
    expect(mass).toMatchObject({ type: 'numeric' });
    expect(mass && 'mean' in mass && mass.mean).toBeCloseTo(trainMass.mean, 9);
    expect(mass && 'std' in mass && mass.std).toBeCloseTo(trainMass.std, 9);
    expect(Math.abs(trainMass.mean - allMass.mean)).toBeGreaterThan(1e-6);
    const sex = pre.features.find((f) => f.name === 'Sex');
    const sexValues = column(trainRows, 'Sex').values as (string | null)[];
    const trainSexes = new Set(sexValues.filter((v) => v !== null));
    expect(sex && 'categories' in sex && sex.categories).toEqual([...trainSexes].sort());
    // One column per numeric feature, categories + 1 (unknown) per categorical one.
    expect(pre.inputSize).toBe(4 + (3 + 1) + (trainSexes.size + 1));
  });

  it('standardises the training rows to mean 0 and standard deviation 1', () => {
    const trainRows = takeRows(ctx.dataset.table, ctx.split.train);
    const pre = fitPreprocess(trainRows, ctx.loaded.config, ctx.dataset.classes);
    const x = transformTable(pre, trainRows);
    const at = pre.features.findIndex((f) => f.name === 'Flipper Length (mm)');
    const offset = pre.features
      .slice(0, at)
      .reduce((n, f) => n + (f.type === 'numeric' ? 1 : f.categories.length + 1), 0);
    const col = Array.from(
      { length: trainRows.rowCount },
      (_, i) => x[i * pre.inputSize + offset]!,
    );
    const { mean, std } = meanStd(col);
    expect(mean).toBeCloseTo(0, 5);
    // Missing values sit at 0 and pull the spread just under 1.
    expect(std).toBeGreaterThan(0.98);
    expect(std).toBeLessThan(1.0001);
  });

  it('sends unseen and missing categories to the unknown slot, missing numbers to the mean', () => {
    const train = table({
      size: [1, 2, 3],
      colour: ['red', 'blue', 'red'],
      y: ['a', 'b', 'a'],
    });
    const pre = fitPreprocess(train, SMALL, ['a', 'b']);
    expect(pre.features[1]).toEqual({
      name: 'colour',
      type: 'categorical',
      categories: ['blue', 'red'],
    });
    const later = table({ size: [NaN, 2], colour: ['green', null], y: ['a', 'b'] });
    const x = Array.from(transformTable(pre, later));
    // [size, blue, red, unknown] per row; size 2 is the training mean.
    expect(x).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(encodeTarget(pre, later))).toEqual([0, 1]);
  });

  it('encodes rows given for prediction exactly as the table they came from', () => {
    const testRows = takeRows(ctx.dataset.table, ctx.split.test);
    const pre = fitPreprocess(
      takeRows(ctx.dataset.table, ctx.split.train),
      ctx.loaded.config,
      ctx.dataset.classes,
    );
    const records = Array.from({ length: testRows.rowCount }, (_, i) => {
      const record: Record<string, unknown> = {};
      for (const f of pre.features) {
        const col = column(testRows, f.name);
        const v = col.values[i];
        record[f.name] = col.type === 'numeric' ? (Number.isNaN(v) ? null : v) : v;
      }
      return record;
    });
    const { x, errors } = encodeRows(pre, records);
    expect(errors).toEqual([]);
    expect(Array.from(x)).toEqual(Array.from(transformTable(pre, testRows)));
  });

  it('names the row and the field of every bad value given for prediction', () => {
    const pre = fitPreprocess(
      table({ size: [1, 2], colour: ['red', 'blue'], y: ['a', 'b'] }),
      {
        ...SMALL,
        data: { ...SMALL.data, allow_missing: ['colour'] },
      },
      ['a', 'b'],
    );
    const { errors } = encodeRows(pre, [
      { size: 1, colour: 'purple' },
      { size: 'big', colour: 3, shape: 'round' },
      { colour: 'red' },
      'not a row',
    ]);
    expect(errors).toEqual([
      { row: 1, field: 'shape', message: 'unknown field' },
      { row: 1, field: 'size', message: 'expected a number, got "big"' },
      { row: 1, field: 'colour', message: 'expected a string, got 3' },
      { row: 2, field: 'size', message: 'missing' },
      { row: 3, field: '', message: 'expected an object of feature values' },
    ]);
    const error = describeFieldErrors(errors, 'rows.json');
    expect(error.code).toBe('input');
    expect(error.message).toContain('rows.json: 5 invalid values:');
    expect(error.message).toContain('row 2, "size": expected a number, got "big"');
  });

  it('reads a date given for prediction as the days since 1970 that load makes of it', () => {
    const config = ConfigSchema.parse({
      ...SMALL,
      data: { ...SMALL.data, features: [{ name: 'size', type: 'numeric' }] },
    });
    // 1970-01-01, 1970-01-11 and 1970-01-21 as load reads them from a date column.
    const pre = fitPreprocess(table({ size: [0, 10, 20], y: ['a', 'b', 'a'] }), config, ['a', 'b']);
    const encoded = encodeRows(pre, [
      { size: '1970-01-11' },
      { size: 10 },
      { size: '1970-01-11T12:00:00' },
      { size: '1970-01-11T12:00:00+12:00' },
      { size: 'soon' },
    ]);
    expect(encoded.errors).toEqual([
      { row: 4, field: 'size', message: 'expected a number, got "soon"' },
    ]);
    const std = Math.sqrt(200 / 3);
    expect(Array.from(encoded.x.slice(0, 4))).toEqual(
      [0, 0, 0.5 / std, 0].map((v) => expect.closeTo(v, 6)),
    );
  });

  it('standardises a regression target and decodes predictions back', () => {
    const config = ConfigSchema.parse({ ...SMALL, model: { task: 'regression' } });
    const train = table({ size: [1, 2, 3], colour: ['r', 'g', 'b'], y: [10, 20, 30] });
    const pre = fitPreprocess(train, config, []);
    const y = Array.from(encodeTarget(pre, train));
    expect(meanStd(y).mean).toBeCloseTo(0, 6);
    expect(y.map((v) => decodeRegression(pre, v))).toEqual(
      [10, 20, 30].map((v) => expect.closeTo(v, 4)),
    );
  });
});
