/** The repository root: the nearest folder upward that holds `.dvc/`, as DVC finds it. */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PipelineError } from '../../errors.js';

export async function findDvcRoot(start: string): Promise<string> {
  let dir = resolve(start);
  for (;;) {
    try {
      if ((await stat(join(dir, '.dvc'))).isDirectory()) return dir;
    } catch {
      // not here: look one level up
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new PipelineError(
        'data',
        `${resolve(start)}: not inside a DVC repository (no .dvc/ folder here or above)`,
        {
          hint: 'Run `dvc init`, or create .dvc/config with a remote (see docs/data.md).',
        },
      );
    dir = parent;
  }
}
