import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { configJsonSchema } from '../../pipeline/config/schema.js';
import { PipelineError } from '../../pipeline/errors.js';
import { REPO, tempProject, type TempProject } from '../helpers/project.js';

let project: TempProject;
let original: string;

beforeAll(async () => {
  project = await tempProject();
  original = await readFile(join(REPO, 'mlops.yaml'), 'utf8');
});
afterAll(() => project.remove());

/** Write the bundled mlops.yaml with one edit and load it. */
async function loadEdited(
  from: string | RegExp,
  to: string,
  overrides: string[] = [],
): Promise<ReturnType<typeof loadConfig>> {
  const text = original.replace(from, to);
  expect(text, `edit ${String(from)} applies`).not.toBe(original);
  const file = await project.write('mlops.yaml', text);
  return loadConfig(file, overrides);
}

async function configError(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

describe('config', () => {
  it('loads the bundled mlops.yaml and fills the defaults', async () => {
    const loaded = await loadConfig(join(REPO, 'mlops.yaml'));
    expect(loaded.config.model.layers).toEqual([16]);
    expect(loaded.config.data.on_violation).toBe('fail');
    expect(loaded.config.search).toBeUndefined();
    expect(loaded.dir).toBe(REPO);
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the key path, what was expected and what was found', async () => {
    const error = await configError(loadEdited('layers: [16]', 'layers: [16, 64x]'));
    expect(error.code).toBe('config');
    expect(error.message).toContain(
      'mlops.yaml: model.layers[1]: expected a positive integer, got "64x"',
    );
    // The line of the bad value, for an editor or a CI annotation.
    const line = original.split('\n').findIndex((l) => l.includes('layers: [16]')) + 1;
    expect(error.details.location).toMatchObject({ file: project.path('mlops.yaml'), line });
  });

  it('reports a value of the wrong type with what it got', async () => {
    const error = await configError(loadEdited('epochs: 60', 'epochs: sixty'));
    expect(error.message).toContain('model.epochs: expected a positive integer, got "sixty"');
    const split = await configError(loadEdited('test: 0.2', 'test: [0.2]'));
    expect(split.message).toContain('split.test: expected a number between 0 and 1, got a list');
  });

  it('says when a required key is missing', async () => {
    const error = await configError(loadEdited(/^ {2}target: Species\n/m, ''));
    expect(error.message).toContain('data.target: missing; expected a column name');
  });

  it('suggests the closest key for an unknown one', async () => {
    const error = await configError(loadEdited('epochs: 60', 'epochz: 60'));
    expect(error.message).toContain('model.epochz: unknown key (did you mean "epochs"?)');
    expect(error.message).toContain('expected one of task, kind, layers');
    const top = await configError(loadEdited(/^gates:/m, 'gate:'));
    expect(top.message).toContain('gate: unknown key (did you mean "gates"?)');
  });

  it('suggests the closest allowed value for a misspelt choice', async () => {
    const error = await configError(loadEdited('task: classification', 'task: clasification'));
    expect(error.message).toContain(
      'model.task: expected one of "classification", "regression", got "clasification" (did you mean "classification"?)',
    );
  });

  it('rejects a gate on a metric the task does not have', async () => {
    const error = await configError(loadEdited('log_loss: { max: 0.3 }', 'r2: { min: 0.3 }'));
    expect(error.message).toContain('gates.r2: unknown metric for classification');
  });

  it('reports every problem at once', async () => {
    const text = original.replace('epochs: 60', 'epochs: 0').replace('dropout: 0', 'dropout: 1');
    const error = await configError(loadConfig(await project.write('mlops.yaml', text)));
    expect(error.message).toContain('model.dropout:');
    expect(error.message).toContain('model.epochs:');
  });

  describe('--set overrides', () => {
    it('take YAML values, so lists and numbers keep their types', async () => {
      const file = await project.write('mlops.yaml', original);
      const loaded = await loadConfig(file, [
        'model.layers=[64,32]',
        'model.dropout=0.2',
        'name=penguins-wide',
        'gates["recall.Adelie"].min=0.9',
      ]);
      expect(loaded.config.model.layers).toEqual([64, 32]);
      expect(loaded.config.model.dropout).toBe(0.2);
      expect(loaded.config.name).toBe('penguins-wide');
      expect(loaded.config.gates['recall.Adelie']).toEqual({ min: 0.9 });
      const plain = await loadConfig(file);
      expect(loaded.hash).not.toBe(plain.hash);
    });

    it('blame the override, not the file, for a bad value', async () => {
      const file = await project.write('mlops.yaml', original);
      const error = await configError(loadConfig(file, ['model.layers=[64,x]']));
      expect(error.code).toBe('config');
      expect(error.message).toBe(
        '--set model.layers=[64,x]: model.layers[1]: expected a positive integer, got "x"',
      );
    });

    it('refuse text that is not KEY=VALUE', async () => {
      const file = await project.write('mlops.yaml', original);
      const error = await configError(loadConfig(file, ['model.epochs']));
      expect(error.code).toBe('usage');
      expect(error.message).toContain('expected KEY.PATH=VALUE');
    });
  });

  it('names a config file that does not exist', async () => {
    const error = await configError(loadConfig(project.path('nope.yaml')));
    expect(error.message).toContain('nope.yaml: no such file');
  });

  it('points at the line and column of a YAML syntax error', async () => {
    const file = await project.write('mlops.yaml', 'name: x\nmodel: [unclosed\n');
    const error = await configError(loadConfig(file));
    expect(error.message).toMatch(/mlops\.yaml:\d+:\d+: /);
    expect(error.details.location?.line).toBeGreaterThanOrEqual(2);
  });

  it('hashes equal configs equally whatever the key order', async () => {
    const a = await loadConfig(await project.write('a.yaml', original));
    const moved = original
      .replace(/^split:\n(?: {2}.*\n)+/m, '')
      .concat('\nsplit:\n  seed: 42\n  validation: 0.15\n  test: 0.2\n');
    const b = await loadConfig(await project.write('b.yaml', moved));
    expect(b.config.split).toEqual(a.config.split);
    expect(b.hash).toBe(a.hash);
  });
});

describe('mlops.schema.json', () => {
  it('is what `npm run schema` generates from the zod schema', async () => {
    const committed = await readFile(join(REPO, 'mlops.schema.json'), 'utf8');
    // Run `npm run schema` after changing pipeline/config/schema.ts.
    expect(JSON.parse(committed)).toEqual(configJsonSchema());
    expect(committed).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

  it('lists every top-level key of mlops.yaml for editors', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['bench', 'data', 'gates', 'model', 'name', 'search', 'split'].sort(),
    );
  });
});
