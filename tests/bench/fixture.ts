/** A trained penguins pipeline in a temporary folder, as `mlops run` leaves it. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../pipeline/run/run.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TrainedPipeline {
  dir: string;
  config: string;
  cleanup(): Promise<void>;
}

/** `extra` is YAML appended to the repository's mlops.yaml (e.g. a bench section). */
export async function trainedPipeline(extra = ''): Promise<TrainedPipeline> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-'));
  await cp(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
  await cp(join(ROOT, 'data.dvc'), join(dir, 'data.dvc'));
  const yaml = (await readFile(join(ROOT, 'mlops.yaml'), 'utf8'))
    .replace(/^# yaml-language-server.*\n/, '')
    .replace(/epochs: \d+/, 'epochs: 15')
    // The repository's own bench section (the last one, with its comment) gives way to `extra`.
    .replace(/\n(#[^\n]*\n)*bench:[\s\S]*$/, '\n');
  const config = join(dir, 'mlops.yaml');
  await writeFile(config, `${yaml}\n${extra}`);
  await runPipeline({ config });
  return { dir, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
