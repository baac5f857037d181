import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ACTIONS = fileURLToPath(new URL('../../actions', import.meta.url));

const names = (await readdir(ACTIONS, { withFileTypes: true }))
  .filter((e) => e.isDirectory() && existsSync(join(ACTIONS, e.name, 'src', 'main.ts')))
  .map((e) => e.name);

describe('action entry points', () => {
  it('finds the eight actions', () => {
    expect(names.sort()).toEqual([
      'benchmark',
      'deploy-vm',
      'lint',
      'propose',
      'report',
      'test',
      'train',
      'validate-threshold',
    ]);
  });

  // GitHub's local action runner imports src/main.ts and calls its run(): importing
  // it must do nothing by itself.
  it.each(names)('%s: main.ts exports run() and does nothing on import', async (name) => {
    const before = process.exitCode;
    const main = (await import(join(ACTIONS, name, 'src', 'main.ts'))) as { run?: unknown };
    expect(typeof main.run).toBe('function');
    expect(process.exitCode).toBe(before);
  });
});
