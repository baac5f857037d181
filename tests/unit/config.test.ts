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

describe('config a user can get wrong is a config error, never a crash', () => {
  it('refuses a YAML alias bomb ("billion laughs"), naming the file', async () => {
    const anchors = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'])
      anchors.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    const file = await project.write('mlops.yaml', `${original}\n${anchors.join('\n')}\n`);
    const error = await configError(loadConfig(file));
    expect(error.code).toBe('config');
    expect(error.message).toBe(`${file}: its YAML aliases would copy more than 100 nodes`);
    expect(error.details.location?.file).toBe(file);
  });

  it('names an alias whose anchor is not defined', async () => {
    const file = await project.write('mlops.yaml', `${original}\nextra: *nowhere\n`);
    const error = await configError(loadConfig(file));
    expect(error.code).toBe('config');
    expect(error.message).toContain('mlops.yaml: Unresolved alias');
  });

  it('bounds the units of a hidden layer and the parameters of the network', async () => {
    const file = await project.write('mlops.yaml', original);
    const wide = await configError(loadConfig(file, ['model.layers=[100000,100000]']));
    expect(wide.code).toBe('config');
    expect(wide.message).toContain(
      'model.layers[0]: expected a positive integer of at most 4096 units, got 100000',
    );
    const deep = await configError(loadConfig(file, ['model.layers=[4096,4096]']));
    expect(deep.message).toBe(
      '--set model.layers=[4096,4096]: model.layers: [4096, 4096] has 16,781,312 parameters between its hidden layers alone; expected at most 5,000,000 in all',
    );
    const searched = await configError(
      loadConfig(file, ['search.space.layers=[[16],[4096,4096]]']),
    );
    expect(searched.message).toContain('search.space.layers[1]: [4096, 4096] has 16,781,312');
    // Within the bounds is fine.
    await expect(loadConfig(file, ['model.layers=[4096,1024]'])).resolves.toBeDefined();
  });

  it('bounds the combinations of a search space', async () => {
    const file = await project.write('mlops.yaml', original);
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i + 1).join(',')}]`;
    const error = await configError(
      loadConfig(file, [
        `search.space.batch_size=${values(100)}`,
        `search.space.epochs=${values(100)}`,
        `search.space.patience=${values(11)}`,
      ]),
    );
    expect(error.message).toContain('search.space: 110,000 combinations; expected at most 100,000');
  });

  it('takes --set __proto__ and constructor as keys, without touching Object.prototype', async () => {
    const file = await project.write('mlops.yaml', original);
    const proto = await configError(loadConfig(file, ['__proto__.polluted=1']));
    expect(proto.code).toBe('config');
    expect(proto.message).toContain('--set __proto__.polluted=1: __proto__: unknown key');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const ctor = await configError(loadConfig(file, ['model.constructor.x=1']));
    expect(ctor.message).toContain('model.constructor: unknown key');
  });

  it('refuses a --set index past the end of a list, or a key on a list', async () => {
    const file = await project.write('mlops.yaml', original);
    // Once a hundred-million-slot array and an out-of-memory crash.
    const far = await configError(loadConfig(file, ['model.layers[100000000]=1']));
    expect(far.message).toBe(
      '--set model.layers[100000000]=1: model.layers[100000000] is past the end of the list (1 item); expected an index up to 1',
    );
    // Once silently dropped: 2^32 - 1 is no array index.
    await configError(loadConfig(file, ['model.layers[4294967295]=1']));
    const key = await configError(loadConfig(file, ['model.layers.first=1']));
    expect(key.message).toBe(
      '--set model.layers.first=1: model.layers is a list; expected an index such as model.layers[0]',
    );
    const appended = await loadConfig(file, ['model.layers[1]=8']);
    expect(appended.config.model.layers).toEqual([16, 8]);
  });

  it('blames a --set with a numeric key for the issue under it', async () => {
    const file = await project.write('mlops.yaml', original);
    const error = await configError(loadConfig(file, ['gates[7].min=1']));
    expect(error.message).toMatch(/^--set gates\[7\]\.min=1: gates\["7"\]: unknown metric/);
  });

  it('names a file that is not a section when --set adds to it', async () => {
    for (const text of ['42\n', '- a\n- b\n']) {
      const file = await project.write('mlops.yaml', text);
      const error = await configError(loadConfig(file, ['model.epochs=1']));
      expect(error.code).toBe('config');
      expect(error.message).toMatch(
        /mlops\.yaml: \(top level\): expected a section \(key: value pairs\), got (42|a list)$/,
      );
      expect(error.message).not.toContain('--set');
    }
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
