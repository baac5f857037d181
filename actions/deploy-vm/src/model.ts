/**
 * The model's metadata.json, read with its schema alone: deploying ships files
 * and needs no TensorFlow.js, which keeps this action's bundle small.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../../../pipeline/errors.js';
import { MetadataSchema, type Metadata } from '../../../pipeline/package/metadata.js';

export async function readModelMetadata(dir: string): Promise<Metadata> {
  const path = join(dir, 'metadata.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PipelineError('model', `${path}: cannot read the model's metadata`, {
      hint: 'Download the trained model (the train job uploads it) before deploying.',
      cause: error,
    });
  }
  const parsed = MetadataSchema.safeParse(json);
  if (!parsed.success)
    throw new PipelineError(
      'model',
      `${path}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}
