/**
 * Inputs as the runner passes them (INPUT_<NAME> with the hyphens kept), turned
 * into typed values. Every reader names the input in its error, so a workflow
 * author sees which `with:` line to fix.
 */
import * as core from '@actions/core';
import { PipelineError } from '../../../pipeline/errors.js';
import { BACKENDS, type BackendName } from '../../../pipeline/train/backend-names.js';

export function text(name: string, fallback = ''): string {
  return core.getInput(name) || fallback;
}

export function required(name: string): string {
  const value = core.getInput(name);
  if (!value) throw new PipelineError('usage', `input "${name}" is required and was not given`);
  return value;
}

/** A secret is masked before anything else can print it. */
export function secret(name: string, options: { required?: boolean } = {}): string {
  const value = core.getInput(name, { trimWhitespace: false });
  // The runner masks line by line: a multi-line key needs each of its lines masked.
  const parts = new Set([value, ...value.split(/\r?\n/)].map((l) => l.trim()).filter(Boolean));
  for (const part of parts) core.setSecret(part);
  if (options.required && !value.trim())
    throw new PipelineError('usage', `input "${name}" is required and was not given`, {
      hint: `Pass it from a secret: ${name}: \${{ secrets.NAME }}`,
    });
  return value;
}

export function flag(name: string, fallback: boolean): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (!value) return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new PipelineError('usage', `input "${name}": expected true or false, got "${value}"`);
}

export function integer(
  name: string,
  fallback: number | undefined,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const value = core.getInput(name).trim();
  if (!value) return fallback;
  const n = Number(value);
  const { min = -Infinity, max = Infinity } = range;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new PipelineError(
      'usage',
      `input "${name}": expected an integer${Number.isFinite(min) ? ` from ${min}` : ''}${Number.isFinite(max) ? ` to ${max}` : ''}, got "${value}"`,
    );
  return n;
}

/** One item per line (blank lines and `#` comments skipped), as `--set` overrides are given. */
export function lines(name: string): string[] {
  return core
    .getInput(name)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The inputs every pipeline stage takes: `config`, `set` (as `mlops --set`) and `backend`. */
export interface PipelineInputs {
  config: string;
  overrides: string[];
  backend?: BackendName;
}

export function pipelineInputs(): PipelineInputs {
  const backend = text('backend');
  if (backend && !BACKENDS.includes(backend as BackendName))
    throw new PipelineError(
      'usage',
      `input "backend": expected one of ${BACKENDS.join(', ')}, got "${backend}"`,
    );
  return {
    config: text('config', 'mlops.yaml'),
    overrides: lines('set'),
    backend: (backend || undefined) as BackendName | undefined,
  };
}
