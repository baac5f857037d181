/**
 * Per-class gates against the target's classes: apart from dataset.ts so that a
 * shell that checks gates on a metrics file (validate-threshold) loads no data
 * reader.
 */
import { basename } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { formatKeyPath } from '../config/keypath.js';
import type { LoadedConfig } from '../config/load.js';
import { PipelineError } from '../errors.js';

/**
 * A per-class gate (`recall.<class>`) can only be checked once the classes are known.
 * A misspelt class is the config's fault: without this it would fail as a gate
 * (exit 1) after a whole training run.
 */
export function checkClassGates(loaded: LoadedConfig, classes: readonly string[]): void {
  for (const name of Object.keys(loaded.config.gates)) {
    const dot = name.indexOf('.');
    if (dot < 0) continue;
    const cls = name.slice(dot + 1);
    if (classes.includes(cls)) continue;
    const near = closest(cls, [...classes]);
    const hint =
      distance(cls, near) <= Math.max(2, near.length / 3) ? ` (did you mean "${near}"?)` : '';
    const path = ['gates', name];
    throw new PipelineError(
      'config',
      `${basename(loaded.path)}: ${formatKeyPath(path)}: the target "${loaded.config.data.target}" has no class "${cls}"${hint}; its classes are ${classes.join(', ')}`,
      { location: { file: loaded.path, line: loaded.lineOf(path) } },
    );
  }
}
