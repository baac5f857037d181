import { resolve } from 'node:path';
import { flag, text } from '../../shared/src/inputs.js';

export interface LintSettings {
  cwd: string;
  eslint: boolean;
  prettier: boolean;
  typecheck: boolean;
}

export function readSettings(): LintSettings {
  return {
    cwd: resolve(text('working-directory', '.')),
    eslint: flag('eslint', true),
    prettier: flag('prettier', true),
    typecheck: flag('typecheck', true),
  };
}
