/**
 * What identifies a trained model's bytes: the sha256 and size of every bundle
 * file, and the sha256 of its weights. The model version names what trained the
 * model (data, config, training code); the digest proves which bytes came out,
 * so a reviewer's numbers, the production record and a deploy can be matched
 * file for file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { BUNDLE_FILES, OPTIONAL_BUNDLE_FILES, readMetadata } from './files.js';

const SHA256 = /^[0-9a-f]{64}$/;

export const FileDigestSchema = z.object({
  sha256: z.string().regex(SHA256),
  size: z.number().int().nonnegative(),
});

export const ModelDigestSchema = z.object({
  model_version: z.string().min(1),
  /** sha256 of weights.bin: the trained parameters, byte for byte. */
  weights_sha256: z.string().regex(SHA256),
  /** Every bundle file by name. metadata.json holds the training time, so it differs between two equal trainings. */
  files: z.record(z.string(), FileDigestSchema),
});
export type ModelDigest = z.infer<typeof ModelDigestSchema>;

/** The digest of the model bundle in `dir`; a missing file is an error naming it, unless it is optional. */
export async function modelDigest(dir: string): Promise<ModelDigest> {
  const files: ModelDigest['files'] = {};
  for (const name of BUNDLE_FILES) {
    let data: Buffer;
    try {
      data = await readFile(join(dir, name));
    } catch {
      if (OPTIONAL_BUNDLE_FILES.includes(name)) continue;
      throw new PipelineError('model', `${join(dir, name)}: missing`, {
        hint: 'Copy the model folder whole, as `mlops train` wrote it.',
      });
    }
    files[name] = {
      sha256: createHash('sha256').update(data).digest('hex'),
      size: data.byteLength,
    };
  }
  const { model_version } = await readMetadata(dir);
  return { model_version, weights_sha256: files['weights.bin']!.sha256, files };
}
