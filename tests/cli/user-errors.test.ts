/**
 * Input a user got wrong (or that went wrong in their numbers) is exit 2 with a
 * message naming the file, key, column or row, never exit 3 with a stack trace,
 * never a model of NaN weights, never predictions of null.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { penguinRows, penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  project = await penguinsProject();
});
afterAll(() => project.remove());

/** Run `mlops ...args` in `p`: exit 2, a message, no stack, nothing written. */
async function failsCleanly(p: TempProject, args: string[]): Promise<string> {
  const before = (await readdir(p.dir, { recursive: true })).sort();
  const result = await runMlops(args, { cwd: p.dir });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toContain('internal error');
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect((await readdir(p.dir, { recursive: true })).sort()).toEqual(before);
  return result.stderr;
}

describe('mlops run: exit 2 for what the user wrote', () => {
  it('a YAML alias bomb in mlops.yaml, naming the file', async () => {
    const original = await project.read('mlops.yaml');
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'])
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    await project.write('bomb.yaml', `${original}\n${lines.join('\n')}\n`);
    const stderr = await failsCleanly(project, ['run', '--config', 'bomb.yaml']);
    expect(stderr).toContain('error: bomb.yaml: its YAML aliases would copy more than 100 nodes');
  });

  it('hidden layers too large to allocate, naming model.layers and the limit', async () => {
    const stderr = await failsCleanly(project, ['run', '--set', 'model.layers=[100000,100000]']);
    expect(stderr).toContain(
      'error: --set model.layers=[100000,100000]: model.layers[0]: expected a positive integer of at most 4096 units, got 100000',
    );
  });

  it('a --set on __proto__', async () => {
    const stderr = await failsCleanly(project, ['run', '--set', '__proto__.x=1']);
    expect(stderr).toContain('error: --set __proto__.x=1: __proto__: unknown key');
  });

  it('a --set on a config file that is a plain value', async () => {
    await project.write('scalar.yaml', '42\n');
    const stderr = await failsCleanly(project, [
      'run',
      '-c',
      'scalar.yaml',
      '--set',
      'model.epochs=1',
    ]);
    expect(stderr).toContain(
      'error: scalar.yaml: (top level): expected a section (key: value pairs), got 42',
    );
  });

  it('a learning rate that makes training diverge: no NaN model is saved', async () => {
    const stderr = await failsCleanly(project, ['run', '--set', 'model.learning_rate=1e308']);
    expect(stderr).toContain(
      'error: model.learning_rate: training diverged with learning_rate 1e+308 (adam): the loss became NaN in epoch 1; nothing was saved',
    );
    expect(stderr).toContain('hint: Lower model.learning_rate');
  });

  it('a numeric column with values too large to standardise, naming the column', async () => {
    const rows = await penguinRows();
    rows[0]!['Body Mass (g)'] = 1e308;
    rows[1]!['Body Mass (g)'] = 1e308;
    await project.writeDataset('data/huge.json', JSON.stringify(rows), 'huge.dvc');
    const text = (await project.read('mlops.yaml'))
      .replace('pointer: data.dvc', 'pointer: huge.dvc')
      .replace(
        'Body Mass (g), type: numeric, min: 2000, max: 7000',
        'Body Mass (g), type: numeric',
      );
    await project.write('huge.yaml', text);
    const stderr = await failsCleanly(project, ['run', '-c', 'huge.yaml']);
    expect(stderr).toContain(
      'error: data/huge.json: column "Body Mass (g)": its values are too large to standardise',
    );
  });
});

describe('mlops predict: a row without a finite prediction is an error naming it', () => {
  const row = {
    Island: 'Biscoe',
    'Beak Length (mm)': 45,
    'Beak Depth (mm)': 15,
    'Flipper Length (mm)': 215,
    'Body Mass (g)': 5000,
    Sex: 'MALE',
  };
  let trained: TempProject;

  beforeAll(async () => {
    trained = await penguinsProject();
    const result = await runMlops(['train', '-q', '--set', 'model.epochs=5'], {
      cwd: trained.dir,
    });
    expect(result.code, result.stderr).toBe(0);
  }, 60_000);
  afterAll(() => trained.remove());

  it('a value far outside the training data (1e308)', async () => {
    await trained.write(
      'rows.json',
      JSON.stringify([row, { ...row, 'Body Mass (g)': 1e308 }, { ...row }]),
    );
    const stderr = await failsCleanly(trained, ['predict', '--input', 'rows.json']);
    expect(stderr).toContain('error: rows.json: 1 invalid value:\n  row 2');
  });

  it('a model whose weights are not finite', async () => {
    const weights = trained.path('artifacts/model/weights.bin');
    const original = await readFile(weights);
    await writeFile(
      weights,
      new Uint8Array(new Float32Array(original.length / 4).fill(NaN).buffer),
    );
    try {
      await trained.write('rows.json', JSON.stringify([row, row]));
      const stderr = await failsCleanly(trained, ['predict', '--input', 'rows.json']);
      expect(stderr).toContain('error: rows.json: 2 invalid values:');
      expect(stderr).toContain('  row 1: the model gives no finite prediction for this row');
      expect(stderr).toContain('  row 2: the model gives no finite prediction for this row');
    } finally {
      await writeFile(weights, original);
    }
  });
});
