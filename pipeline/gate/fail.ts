/**
 * How every shell ends a stage whose gates failed, for model gates and benchmark
 * gates alike: a `gate` error, which the CLI exits with status 1 and an action
 * fails its step with, naming each failed gate.
 */
import { PipelineError } from '../errors.js';

export interface GatedResult {
  /** null until the gates are checked. */
  passed: boolean | null;
  gates: readonly { name: string; passed: boolean }[];
}

/** Throws when `result` failed a gate; `what` names the gates in the message ("benchmark gate"). */
export function failOnGates(result: GatedResult, what = 'gate'): void {
  if (result.passed !== false) return;
  const failed = result.gates.filter((g) => !g.passed).map((g) => g.name);
  throw new PipelineError(
    'gate',
    `${failed.length} ${what}${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}`,
  );
}
