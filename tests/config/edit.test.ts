/** `mlops config set` edits mlops.yaml in place: comments and layout stay, bad input writes nothing. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setConfigValues } from '../../pipeline/config/edit.js';
import { loadConfig } from '../../pipeline/config/load.js';
import { PipelineError } from '../../pipeline/errors.js';

const YAML = `# The penguin classifier.
data:
  pointer: data.dvc # the DVC pointer
  target: species
  features:
    - { name: bill_length_mm, type: numeric }

model:
  task: classification
  # more epochs once the data grows
  epochs: 20
  learning_rate: 0.01
`;

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-edit-'));
  file = join(dir, 'mlops.yaml');
  await writeFile(file, YAML);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config set', () => {
  it('changes the values and keeps every comment, blank line and flow list', async () => {
    await setConfigValues(file, ['model.epochs=50', 'model.learning_rate=0.003']);
    expect(await readFile(file, 'utf8')).toBe(
      YAML.replace('epochs: 20', 'epochs: 50').replace(
        'learning_rate: 0.01',
        'learning_rate: 0.003',
      ),
    );
    const loaded = await loadConfig(file);
    expect(loaded.config.model.epochs).toBe(50);
  });

  it('adds a key that is not written yet, under its section', async () => {
    await setConfigValues(file, ['model.batch_size=64']);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('  learning_rate: 0.01\n  batch_size: 64\n');
    expect(text).toContain('# more epochs once the data grows');
  });

  it('a key the schema does not know is refused, naming it, and nothing is written', async () => {
    const error = await setConfigValues(file, ['model.epoch=50']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain('model.epoch');
    expect(await readFile(file, 'utf8')).toBe(YAML);
  });

  it('a malformed key path is refused, naming it', async () => {
    await expect(setConfigValues(file, ['model..epochs=5'])).rejects.toThrow(
      'model..epochs=5: expected KEY.PATH=VALUE',
    );
    await expect(setConfigValues(file, ['epochs'])).rejects.toThrow(
      'epochs: expected KEY.PATH=VALUE',
    );
    expect(await readFile(file, 'utf8')).toBe(YAML);
  });

  it('a value of the wrong type is refused, naming the key path', async () => {
    await expect(setConfigValues(file, ['model.epochs=many'])).rejects.toThrow(/model\.epochs/);
    expect(await readFile(file, 'utf8')).toBe(YAML);
  });
});
