import { resolve } from 'node:path';
import { lines, text } from '../../shared/src/inputs.js';

export interface TestSettings {
  cwd: string;
  /** Extra vitest arguments, one per line: test files or filters. */
  args: string[];
}

export function readSettings(): TestSettings {
  return { cwd: resolve(text('working-directory', '.')), args: lines('args') };
}
