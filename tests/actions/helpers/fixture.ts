/**
 * A small repository that adopts the pipeline: the penguins pipeline (mlops.yaml,
 * its DVC pointer and data) and a little TypeScript with a test, its own ESLint,
 * Prettier and tsc configs, and this checkout's node_modules linked in as
 * `npm ci` would have installed them.
 */
import { copyFile, cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './run-action.js';

const FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'penguins', private: true, type: 'module' }, null, 2)}\n`,
  'tsconfig.json': [
    '{',
    '  "compilerOptions": {',
    '    "target": "ES2022",',
    '    "module": "NodeNext",',
    '    "moduleResolution": "NodeNext",',
    '    "strict": true,',
    '    "noEmit": true,',
    '    "skipLibCheck": true,',
    '    "types": ["node"]',
    '  },',
    '  "include": ["src", "tests"]',
    '}',
    '',
  ].join('\n'),
  'eslint.config.js': [
    "import js from '@eslint/js';",
    "import tseslint from 'typescript-eslint';",
    '',
    'export default tseslint.config(',
    "  { ignores: ['artifacts/', 'reports/', 'data/'] },",
    '  js.configs.recommended,',
    '  ...tseslint.configs.recommended,',
    ');',
    '',
  ].join('\n'),
  '.prettierignore': 'data/\nartifacts/\nreports/\n.mlops/\n',
  'src/species.ts': [
    '/** The species with the longest beak among the given birds. */',
    'export function longestBeak(birds: { species: string; beak: number }[]): string | undefined {',
    '  let best: { species: string; beak: number } | undefined;',
    '  for (const bird of birds) if (!best || bird.beak > best.beak) best = bird;',
    '  return best?.species;',
    '}',
    '',
  ].join('\n'),
  'tests/species.test.ts': [
    "import { expect, it } from 'vitest';",
    "import { longestBeak } from '../src/species.js';",
    '',
    "it('finds the longest beak', () => {",
    '  expect(',
    '    longestBeak([',
    "      { species: 'Adelie', beak: 38 },",
    "      { species: 'Gentoo', beak: 47 },",
    '    ]),',
    "  ).toBe('Gentoo');",
    '});',
    '',
  ].join('\n'),
};

export async function makeRepository(edits: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-repo-'));
  for (const file of ['mlops.yaml', 'data.dvc', '.prettierrc.json'])
    await copyFile(join(REPO_ROOT, file), join(dir, file));
  await cp(join(REPO_ROOT, 'data'), join(dir, 'data'), { recursive: true });
  for (const [file, text] of Object.entries({ ...FILES, ...edits })) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
