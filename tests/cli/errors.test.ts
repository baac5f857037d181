/**
 * Bad input, as a user meets it: a clear message on stderr, exit status 2, and
 * nothing written (no artifacts/, no reports/) in the project.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { penguinRows, penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.remove()));
});

async function project(): Promise<TempProject> {
  const p = await penguinsProject();
  projects.push(p);
  return p;
}

/** Edit the project's mlops.yaml; fails the test if the edit does not apply. */
async function editConfig(p: TempProject, from: string | RegExp, to: string): Promise<void> {
  const text = await p.read('mlops.yaml');
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  await p.write('mlops.yaml', edited);
}

/** Run `mlops ...args` and check it fails with exit 2, a message, and writes nothing. */
async function failsCleanly(p: TempProject, args: string[]): Promise<string> {
  const before = (await readdir(p.dir, { recursive: true })).sort();
  const result = await runMlops(args, { cwd: p.dir });
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toContain('internal error');
  expect((await readdir(p.dir, { recursive: true })).sort()).toEqual(before);
  return result.stderr;
}

describe('mlops run refuses bad input with exit 2 and writes nothing', () => {
  it('an unknown config key, with the closest known one', async () => {
    const p = await project();
    await editConfig(p, 'patience: 10', 'patients: 10');
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain(
      'error: mlops.yaml: model.patients: unknown key (did you mean "patience"?)',
    );
  });

  it('a value of the wrong type, naming the key path, what was expected and what was found', async () => {
    const p = await project();
    await editConfig(p, 'layers: [16]', 'layers: [16, 64x]');
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain(
      'error: mlops.yaml: model.layers[1]: expected a positive integer, got "64x"',
    );
    expect(stderr).toContain('hint: The JSON Schema mlops.schema.json lists every key');
  });

  it('a bad --set value, blaming the override', async () => {
    const p = await project();
    const stderr = await failsCleanly(p, ['run', '--set', 'model.learning_rate=fast']);
    expect(stderr).toContain(
      'error: --set model.learning_rate=fast: model.learning_rate: expected a positive number, got "fast"',
    );
    const malformed = await failsCleanly(p, ['run', '--set', 'model.epochs']);
    expect(malformed).toContain('error: --set model.epochs: expected KEY.PATH=VALUE');
  });

  it('a feature column the data lacks', async () => {
    const p = await project();
    await editConfig(p, '{ name: Flipper Length (mm),', '{ name: Flipper Length,');
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain(
      'error: data/penguins.json: has no column "Flipper Length" (did you mean "Flipper Length (mm)"?)',
    );
  });

  it('a gate on a class the target does not have, before any training', async () => {
    const p = await project();
    await editConfig(p, /^gates:\n/m, 'gates:\n  recall.Gentu: { min: 0.9 }\n');
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain(
      'error: mlops.yaml: gates["recall.Gentu"]: the target "Species" has no class "Gentu" (did you mean "Gentoo"?)',
    );
  });

  it('a target with a single class', async () => {
    const p = await project();
    const adelie = (await penguinRows()).filter((r) => r['Species'] === 'Adelie');
    await p.writeDataset('data/penguins.json', JSON.stringify(adelie));
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain(
      'error: data/penguins.json: target "Species" has a single class ("Adelie"); classification needs at least two',
    );
  });

  it('an empty dataset', async () => {
    const p = await project();
    await p.writeDataset('data/penguins.json', '[]');
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain('error: data/penguins.json: has no rows');
  });

  it('text in a numeric column, naming the column and the row', async () => {
    const p = await project();
    const rows = await penguinRows();
    rows[4] = { ...rows[4], 'Body Mass (g)': 'n/a' };
    await p.writeDataset('data/penguins.json', JSON.stringify(rows, null, 1));
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toContain('error: data/penguins.json breaks the data contract:');
    expect(stderr).toContain('column "Body Mass (g)": 1 value is not a number (row 5: "n/a")');
  });

  it('data that no longer matches its pointer', async () => {
    const p = await project();
    const rows = await penguinRows();
    await p.write('data/penguins.json', JSON.stringify(rows.slice(1)));
    const stderr = await failsCleanly(p, ['run']);
    expect(stderr).toMatch(
      /error: data\/penguins\.json: its md5 is [0-9a-f]{32} but data\.dvc records/,
    );
  });

  it('a config file that does not exist', async () => {
    const p = await project();
    expect(await failsCleanly(p, ['run', '--config', 'other.yaml'])).toContain(
      'error: other.yaml: no such file',
    );
  });

  it('evaluate without a trained model', async () => {
    const p = await project();
    const stderr = await failsCleanly(p, ['evaluate']);
    expect(stderr).toContain('artifacts/model/metadata.json: missing');
    expect(stderr).toContain('hint: Train a model first');
  });
});

describe('an output path that cannot be written', () => {
  it('is named, exit 2, and no temporary file is left beside it', async () => {
    const p = await project();
    // `data` is a folder: the schema cannot replace it.
    const stderr = await failsCleanly(p, ['schema', '--write', 'data']);
    expect(stderr).toContain('error: data: cannot write (EISDIR)');
  });
});
