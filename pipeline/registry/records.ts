/** The registry's own records: one per model version, one per alias. */
import { z } from 'zod';
import { LineageSchema } from '../model/metadata.js';

export const ALIASES = ['staging', 'production'] as const;
export type AliasName = (typeof ALIASES)[number];

/** A model version is a content hash; only that may become part of an object key. */
export const VERSION = /^[0-9a-f]{4,64}$/;
const Version = z.string().regex(VERSION);

export const VersionRecordSchema = z.object({
  format: z.literal('mlops-registry-version/1'),
  /** The bundle's content hash (metadata.model_version): data, config and training code. */
  version: Version,
  name: z.string(),
  task: z.enum(['classification', 'regression']),
  /** When the model was trained. */
  created_at: z.string(),
  registered_at: z.string(),
  /** Test-split metrics (from the metrics.json given at registration); null without one. */
  metrics: z.record(z.string(), z.number()).nullable(),
  validation_metrics: z.record(z.string(), z.number()),
  lineage: LineageSchema,
  /** The bundle files, with what fetching them must find. */
  files: z.record(z.string(), z.object({ sha256: z.string(), size: z.number().int() })),
});
export type VersionRecord = z.infer<typeof VersionRecordSchema>;

export const AliasEventSchema = z.object({
  action: z.enum(['promote', 'rollback']),
  version: Version,
  from: Version.nullable(),
  at: z.string(),
});

export const AliasRecordSchema = z.object({
  format: z.literal('mlops-registry-alias/1'),
  alias: z.enum(ALIASES),
  version: Version,
  /** The version a rollback returns to; null when there is none. */
  previous: Version.nullable(),
  /** Versions the alias has pointed to, current first: what successive rollbacks walk back through. */
  stack: z.array(Version).min(1),
  /** Every move of the alias, newest first. */
  log: z.array(AliasEventSchema),
  updated_at: z.string(),
});
export type AliasRecord = z.infer<typeof AliasRecordSchema>;

/** How far back rollbacks can go, and how many moves the log keeps. */
export const STACK_DEPTH = 20;
export const LOG_DEPTH = 100;
