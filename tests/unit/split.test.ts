import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitRows, type Split } from '../../pipeline/data/split.js';
import { column } from '../../pipeline/data/table.js';
import { PipelineError } from '../../pipeline/errors.js';
import { openRun } from '../../pipeline/run/context.js';
import { penguinRows, tempProject, type TempProject } from '../helpers/project.js';

const CONFIG = { test: 0.2, validation: 0.15, seed: 42 };

let species: string[];
let project: TempProject;

beforeAll(async () => {
  species = (await penguinRows()).map((r) => String(r['Species']));
  project = await tempProject();
});
afterAll(() => project.remove());

function asArrays(split: Split) {
  return {
    train: Array.from(split.train),
    validation: Array.from(split.validation),
    test: Array.from(split.test),
  };
}

function splitOf(split: Split): Map<number, string> {
  const where = new Map<number, string>();
  for (const name of ['train', 'validation', 'test'] as const)
    for (const row of split[name]) where.set(row, name);
  return where;
}

describe('split', () => {
  it('puts every row in exactly one split', () => {
    const split = splitRows(species.length, CONFIG, { strata: species });
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(species.map((_, i) => i));
  });

  it('is the same for the same seed and different for another', () => {
    const a = splitRows(species.length, CONFIG, { strata: species });
    const b = splitRows(species.length, CONFIG, { strata: species });
    const c = splitRows(species.length, { ...CONFIG, seed: 43 }, { strata: species });
    expect(asArrays(b)).toEqual(asArrays(a));
    expect(asArrays(c).test).not.toEqual(asArrays(a).test);
  });

  it('keeps each class in the proportions asked for (stratified)', () => {
    const split = splitRows(species.length, CONFIG, { strata: species });
    for (const cls of new Set(species)) {
      const n = species.filter((s) => s === cls).length;
      const inTest = Array.from(split.test).filter((i) => species[i] === cls).length;
      const inVal = Array.from(split.validation).filter((i) => species[i] === cls).length;
      expect(inTest, cls).toBe(Math.round(n * CONFIG.test));
      expect(inVal, cls).toBe(Math.round(n * CONFIG.validation));
    }
  });

  it('with an id column, keeps every row in its split when rows are added', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `penguin-${i}`);
    const before = splitOf(splitRows(ids.length, CONFIG, { ids }));
    // New rows arrive, and the file comes back in another order.
    const grown = [...ids, ...Array.from({ length: 300 }, (_, i) => `penguin-new-${i}`)].reverse();
    const after = splitOf(splitRows(grown.length, CONFIG, { ids: grown }));
    const moved = ids.filter((id, i) => after.get(grown.indexOf(id)) !== before.get(i));
    expect(moved).toEqual([]);
    const testShare = [...after.values()].filter((s) => s === 'test').length / grown.length;
    expect(testShare).toBeGreaterThan(0.15);
    expect(testShare).toBeLessThan(0.25);
  });

  it('with an id column, is decided by the seed too', () => {
    const ids = Array.from({ length: 200 }, (_, i) => String(i));
    const a = asArrays(splitRows(ids.length, CONFIG, { ids }));
    expect(asArrays(splitRows(ids.length, CONFIG, { ids }))).toEqual(a);
    expect(asArrays(splitRows(ids.length, { ...CONFIG, seed: 1 }, { ids })).test).not.toEqual(
      a.test,
    );
  });

  it('refuses a split that leaves one part empty', () => {
    expect(() => splitRows(3, CONFIG)).toThrow(PipelineError);
    expect(() => splitRows(3, CONFIG)).toThrow(/the (validation|test) split is empty \(3 rows/);
  });

  it('uses data.id from mlops.yaml: old rows keep their split when the dataset grows', async () => {
    const rows = (await penguinRows()).map((r, i) => ({ ...r, Tag: `T${1000 + i}` }));
    const config = `
data:
  id: Tag
  target: Species
  features:
    - { name: Island, type: categorical }
    - { name: Flipper Length (mm), type: numeric }
  allow_missing: [Flipper Length (mm)]
model: { task: classification }
`;
    await project.write('mlops.yaml', config);
    const splitByTag = async (count: number) => {
      await project.writeDataset('data/penguins.json', JSON.stringify(rows.slice(0, count)));
      const ctx = await openRun(project.path('mlops.yaml'));
      const tags = column(ctx.dataset.table, 'Tag').values as string[];
      return new Map([...splitOf(ctx.split)].map(([row, name]) => [tags[row]!, name]));
    };
    const before = await splitByTag(250);
    const after = await splitByTag(rows.length);
    expect(after.size).toBe(rows.length);
    for (const [tag, name] of before) expect(after.get(tag), tag).toBe(name);
  });
});
