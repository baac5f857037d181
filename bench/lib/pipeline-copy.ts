/** A copy of the repository's default pipeline (mlops.yaml, data pointer, data) in a temporary folder. */
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MLOPS = join(ROOT, 'bin', 'mlops.js');

export async function copyDefaultPipeline(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-pipeline-'));
  for (const name of ['mlops.yaml', 'mlops.schema.json', 'data.dvc', 'data'])
    await cp(join(ROOT, name), join(dir, name), { recursive: true });
  return dir;
}
