/**
 * record.json of the production record: what went live, when, from which code
 * and run, and what was live before. One per release or rollback; the files of
 * the model are named by their sha256 (model/digest.ts), so a deploy, a review
 * and this record can be matched byte for byte.
 */
import { z } from 'zod';
import { FileDigestSchema } from '../model/digest.js';

export const RECORD_FORMAT = 'mlops-production/1';

export const ProductionEventSchema = z.enum(['release', 'rollback']);
export type ProductionEvent = z.infer<typeof ProductionEventSchema>;

export const ProductionRunSchema = z.object({ id: z.string().min(1), url: z.string().min(1) });
export type ProductionRun = z.infer<typeof ProductionRunSchema>;

export const ProductionRecordSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  event: ProductionEventSchema,
  model_version: z.string().min(1),
  /** The pipeline's name in mlops.yaml, from the model's metadata. */
  name: z.string().min(1),
  weights_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.record(z.string(), FileDigestSchema),
  /** The git commit of the code that was deployed, when known. */
  commit: z.string().min(1).nullable(),
  /** The workflow run that wrote the record, when CI did. */
  run: ProductionRunSchema.nullable(),
  /** When it went live (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
  /** The model version that was live before, none for the first release. */
  previous: z.string().min(1).nullable(),
});
export type ProductionRecord = z.infer<typeof ProductionRecordSchema>;
