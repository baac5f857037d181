/**
 * metadata.json beside a saved model: what it is, how it trained, where it came
 * from. Written once, with the model: test metrics are the evaluation's, in
 * reports/metrics.json, so the bundle's bytes do not depend on which stages ran.
 * (Bundles saved before then still carry a `metrics` key, which is ignored.)
 */
import { z } from 'zod';

export const EpochLogSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  val_loss: z.number(),
});

export const LineageSchema = z.object({
  git_commit: z.string().nullable(),
  git_dirty: z.boolean().nullable(),
  data_path: z.string(),
  data_md5: z.string(),
  config_hash: z.string(),
  code_hash: z.string(),
  /**
   * The TensorFlow.js backend loaded in the process: what saved the model, and
   * what ran model.fit when the trainer is tfjs.
   */
  backend: z.string(),
  /**
   * What computed the gradients: `dense` (the package's own engine,
   * train/fit.ts) or `tfjs` (model.fit). Absent in models saved before it was
   * recorded.
   */
  trainer: z.string().optional(),
  /** The dense engine's matrix kernel: `wasm-simd` or `js`. */
  kernel: z.string().optional(),
  /** Repository files that define the model beyond the pipeline (a tfjs model module and its imports). */
  model_files: z.array(z.string()).optional(),
  /**
   * `features` when the team's model takes one input per feature: model.json
   * then holds the layers that read them out of the encoded row, in front of
   * it. Absent when the model takes the encoded row itself.
   */
  model_inputs: z.literal('features').optional(),
  /**
   * The className of each layer class of the team's own that model.json
   * uses; the bundle's layers.mjs defines them (custom-layers.ts). Absent
   * when the model uses tfjs's layers only.
   */
  custom_layers: z.array(z.string()).optional(),
  seed: z.number(),
  tfjs_version: z.string(),
  node_version: z.string(),
  /** Seconds per stage. */
  timings: z.record(z.string(), z.number()),
});

export const MetadataSchema = z.object({
  format: z.literal('mlops-model/1'),
  name: z.string(),
  model_version: z.string(),
  task: z.enum(['classification', 'regression']),
  created_at: z.string(),
  features: z.array(z.object({ name: z.string(), type: z.enum(['numeric', 'categorical']) })),
  target: z.object({ name: z.string(), classes: z.array(z.string()).optional() }),
  params: z.record(z.string(), z.unknown()),
  training: z.object({
    history: z.array(EpochLogSchema),
    best_epoch: z.number(),
    stopped_early: z.boolean(),
    seconds: z.number(),
    samples_per_second: z.number(),
    rows: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
    trials: z.array(
      z.object({
        trial: z.number(),
        params: z.record(z.string(), z.unknown()),
        metric: z.string(),
        score: z.number(),
        best_epoch: z.number(),
        epochs_run: z.number(),
        seconds: z.number(),
      }),
    ),
  }),
  data: z.object({
    path: z.string(),
    rows_read: z.number(),
    dropped_rows: z.number(),
    unlabelled_rows: z.number(),
    violations: z.array(z.string()),
  }),
  validation_metrics: z.record(z.string(), z.number()),
  lineage: LineageSchema,
});

export type Metadata = z.infer<typeof MetadataSchema>;
