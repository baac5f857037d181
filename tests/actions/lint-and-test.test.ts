/**
 * The lint and test actions run the repository's own ESLint, Prettier, tsc and
 * Vitest, and turn every finding and every failed test into an annotation on
 * its file and line.
 */
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRepository } from './helpers/fixture.js';
import { runAction } from './helpers/run-action.js';

const BROKEN = {
  // Line 2: an unused variable (ESLint) that is also a type error (tsc).
  'src/broken.ts': "export const answer = 42;\nconst unused: number = 'text';\n",
  // Formatted as Prettier would not.
  'src/ugly.ts': 'export const ugly = { a:1 }\n',
  'tests/failing.test.ts': [
    "import { expect, it } from 'vitest';",
    '',
    "it('adds up', () => {",
    '  expect(1 + 1).toBe(3);',
    '});',
    '',
    "it('passes', () => {",
    '  expect(2).toBe(2);',
    '});',
    '',
  ].join('\n'),
};

describe('lint and test actions', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('lint annotates each ESLint, Prettier and tsc finding and fails', async () => {
    const workspace = await makeRepository(BROKEN);
    dirs.push(workspace);
    const run = await runAction('lint', { workspace });
    expect(run.code).toBe(1);
    const at = (title: string) => run.annotations.filter((a) => a.title === title);
    expect(at('eslint')).toContainEqual(
      expect.objectContaining({
        level: 'error',
        file: 'src/broken.ts',
        line: 2,
        message: expect.stringContaining('no-unused-vars'),
      }),
    );
    expect(at('tsc')).toContainEqual(
      expect.objectContaining({
        level: 'error',
        file: 'src/broken.ts',
        line: 2,
        message: expect.stringContaining('TS2322'),
      }),
    );
    expect(at('prettier').map((a) => a.file)).toContain('src/ugly.ts');
    expect(Number(run.outputs['errors'])).toBe(
      run.annotations.filter((a) => a.level === 'error').length,
    );
    expect(run.summary).toContain('tsc --noEmit');
  });

  it('test annotates each failed test on its line and counts the rest', async () => {
    const workspace = await makeRepository(BROKEN);
    dirs.push(workspace);
    const run = await runAction('test', { workspace });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ total: '3', passed: '2', failed: '1', skipped: '0' });
    expect(run.annotations).toEqual([
      expect.objectContaining({
        level: 'error',
        file: 'tests/failing.test.ts',
        line: 4,
        title: 'Test failed',
        message: expect.stringContaining('expected 2 to be 3'),
      }),
    ]);
    expect(run.summary).toContain('<td>2</td>');
  });
});
