/**
 * The pipeline definition, `mlops.yaml`, as one zod schema. Every type of the
 * config comes from here (z.infer), and so does the JSON Schema editors use.
 * Messages are written as what was expected; the loader adds what was found.
 */
import { z } from 'zod';
import { BENCH_METRICS, isBenchMetric } from './bench-metrics.js';
import {
  formatCount,
  MAX_PARAMETERS,
  MAX_SEARCH_GRID,
  MAX_UNITS,
  parameterCount,
} from './limits.js';
import { isKnownMetric, metricNames } from './metrics.js';

const positiveInt = (what = 'a positive integer') =>
  z.int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const fraction = z
  .number({ error: 'expected a number between 0 and 1' })
  .gt(0, { error: 'expected a number between 0 and 1' })
  .lt(1, { error: 'expected a number between 0 and 1' });
const columnName = z
  .string({ error: 'expected a column name' })
  .min(1, { error: 'expected a column name' });

export const FeatureSchema = z
  .strictObject({
    name: columnName.describe('Column name, exactly as in the data file.'),
    type: z.enum(['numeric', 'categorical']).describe('How the column is fed to the model.'),
    min: z.number().optional().describe('Contract: smallest allowed value (numeric).'),
    max: z.number().optional().describe('Contract: largest allowed value (numeric).'),
    categories: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Contract: the allowed values (categorical).'),
  })
  .describe('One input column of the model.');

export const DataSchema = z
  .strictObject({
    pointer: z
      .string()
      .min(1)
      .default('data.dvc')
      .describe('The DVC pointer file of the dataset, relative to this file.'),
    format: z
      .enum(['csv', 'json', 'parquet'])
      .optional()
      .describe('File format; taken from the file extension when omitted.'),
    target: columnName.describe('The column the model predicts.'),
    id: columnName
      .optional()
      .describe('A unique row id; rows are then split by a hash of it, so they keep their split.'),
    features: z.array(FeatureSchema).min(1, { error: 'expected at least one feature' }),
    allow_missing: z
      .array(columnName)
      .default([])
      .describe('Columns that may have missing values (imputed from the training rows).'),
    on_violation: z
      .enum(['fail', 'drop'])
      .default('fail')
      .describe('What a data contract violation does: fail the run, or drop the rows and report.'),
    drift: z
      .strictObject({
        psi: z
          .number({ error: 'expected a positive number' })
          .positive({ error: 'expected a positive number' })
          .default(0.2)
          .describe('Flag a feature whose population stability index exceeds this.'),
        ks_pvalue: fraction
          .default(0.05)
          .describe('Flag a numeric feature whose Kolmogorov–Smirnov p-value is below this.'),
      })
      .default({ psi: 0.2, ks_pvalue: 0.05 })
      .describe('When the data report flags a feature as drifted against the base revision.'),
    refresh: z
      .strictObject({
        run: z
          .string()
          .min(1, { error: 'expected a shell command' })
          .describe(
            'Shell command that writes fresh data; run from the repository root with only PATH and HOME set.',
          ),
        output: z
          .string()
          .min(1)
          .describe(
            'The file the command writes, relative to this file: the file data.pointer tracks.',
          ),
        timeout: z
          .number({ error: 'expected a positive number of seconds' })
          .positive({ error: 'expected a positive number of seconds' })
          .default(600)
          .describe('Seconds the command may run before it is stopped.'),
      })
      .optional()
      .describe('How `mlops data refresh` fetches fresh data.'),
  })
  .describe('Where the data is and what its columns mean.');

export const SplitSchema = z
  .strictObject({
    test: fraction.default(0.2).describe('Fraction of rows held out for the test metrics.'),
    validation: fraction.default(0.1).describe('Fraction used for early stopping and search.'),
    seed: z
      .int({ error: 'expected a non-negative integer' })
      .nonnegative({ error: 'expected a non-negative integer' })
      .default(42)
      .describe('Seed of the split, the weight initialisation and the batch order.'),
  })
  .describe('How rows are divided into train, validation and test.');

/** The kinds the pipeline trains itself (train/trainers/registry.ts); any other names a trainer file. */
export const BUILT_IN_KINDS = ['linear', 'mlp', 'tfjs'] as const;

/** A kind that names a trainer file of the team's own: trainers/<kind>.ts beside mlops.yaml. */
const TRAINER_NAME = /^[a-z][a-z0-9_-]*$/;

const KIND_EXPECTED = `expected ${BUILT_IN_KINDS.join(', ')}, or the name of a trainer file of your own (trainers/<name>.ts: lower-case letters, digits, - and _)`;

/** A trainer file of the team's own, not a built-in kind. */
export function isUserKind(kind: string): boolean {
  return !(BUILT_IN_KINDS as readonly string[]).includes(kind);
}

export const ModelSchema = z
  .strictObject({
    task: z.enum(['classification', 'regression']),
    kind: z
      .union(
        [
          z.enum(BUILT_IN_KINDS),
          z
            .string()
            .regex(TRAINER_NAME, { error: KIND_EXPECTED })
            .describe('A trainer of your own: trainers/<kind>.ts'),
        ],
        { error: KIND_EXPECTED },
      )
      .default('mlp')
      .describe(
        'linear: no hidden layer; mlp: the hidden layers below; tfjs: the TensorFlow.js model the module builds; any other name: the trainer in trainers/<kind>.ts (.js, .mjs) beside this file (docs/custom-models.md).',
      ),
    layers: z
      .array(
        positiveInt().max(MAX_UNITS, {
          error: `expected a positive integer of at most ${MAX_UNITS} units`,
        }),
      )
      .default([32])
      .describe(
        `Units of each hidden layer (mlp only): at most ${MAX_UNITS} each and ${formatCount(MAX_PARAMETERS)} parameters in all.`,
      ),
    activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'swish', 'gelu']).default('relu'),
    dropout: z
      .number({ error: 'expected a number from 0 to below 1' })
      .min(0, { error: 'expected a number from 0 to below 1' })
      .lt(1, { error: 'expected a number from 0 to below 1' })
      .default(0)
      .describe('Dropout rate after each hidden layer.'),
    optimizer: z.enum(['adam', 'sgd', 'rmsprop', 'adagrad']).default('adam'),
    learning_rate: z
      .number({ error: 'expected a positive number' })
      .positive({ error: 'expected a positive number' })
      .default(0.01),
    epochs: positiveInt().default(100),
    batch_size: positiveInt().default(32),
    patience: z
      .int({ error: 'expected a non-negative integer' })
      .nonnegative({ error: 'expected a non-negative integer' })
      .default(10)
      .describe('Epochs without a better validation loss before training stops; 0 never stops.'),
    module: z
      .string()
      .min(1)
      .optional()
      .describe(
        'tfjs only: a .ts or .js file, relative to mlops.yaml, whose default export builds the model.',
      ),
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "kind tfjs or a trainer of your own: values passed to the module's builder or the trainer, checked by its params schema.",
      ),
  })
  .describe('The model and how it is trained.');

export const MODEL_KEYS = Object.keys(ModelSchema.shape) as (keyof typeof ModelSchema.shape)[];

export const SearchSchema = z
  .strictObject({
    method: z.enum(['grid', 'random']).default('grid'),
    trials: positiveInt().default(10).describe('Most trials to run.'),
    metric: z
      .string()
      .default('val_loss')
      .describe('Validation metric to optimise: val_loss or any metric of the task.'),
    space: z
      .record(z.string(), z.array(z.unknown()).min(1, { error: 'expected a non-empty list' }))
      .describe('Model keys and the values to try for each.'),
  })
  .describe('Hyper-parameter search, scored on the validation split.');

export const GateSchema = z
  .strictObject({
    min: z.number().optional().describe('The metric must be at least this.'),
    max: z.number().optional().describe('The metric must be at most this.'),
    max_drop: z
      .number()
      .nonnegative()
      .optional()
      .describe('Against the baseline: the metric may fall by at most this.'),
    max_rise: z
      .number()
      .nonnegative()
      .optional()
      .describe('Against the baseline: the metric may rise by at most this.'),
  })
  .refine((g) => Object.values(g).some((v) => v !== undefined), {
    error: 'expected at least one of min, max, max_drop, max_rise',
  });

export const BenchToleranceSchema = z
  .strictObject({
    min: z.number().optional().describe('The measurement must be at least this.'),
    max: z.number().optional().describe('The measurement must be at most this.'),
    max_rise_pct: z
      .number()
      .nonnegative()
      .optional()
      .describe('Against the baseline bench.json: may rise by at most this many percent.'),
    max_drop_pct: z
      .number()
      .nonnegative()
      .optional()
      .describe('Against the baseline bench.json: may fall by at most this many percent.'),
  })
  .refine((g) => Object.values(g).some((v) => v !== undefined), {
    error: 'expected at least one of min, max, max_rise_pct, max_drop_pct',
  });

export const BenchSchema = z
  .strictObject({
    iterations: positiveInt()
      .default(300)
      .describe('Timed predictions for each of single rows and batches.'),
    warmup: z.int().nonnegative().default(30).describe('Untimed predictions first.'),
    batch_size: positiveInt().default(64).describe('Rows per batch prediction.'),
    connections: positiveInt()
      .default(16)
      .describe('Concurrent connections of the HTTP throughput run.'),
    seconds: positiveInt().default(5).describe('Length of the HTTP throughput run.'),
    gates: z
      .record(z.string(), BenchToleranceSchema)
      .default({})
      .describe(`Bounds on benchmark measurements, keyed by name: ${BENCH_METRICS.join(', ')}.`),
  })
  .describe('The benchmark stage (`mlops bench`): how it measures and what it gates.');

export const ConfigSchema = z
  .strictObject({
    name: z.string().min(1).default('model').describe('Name of the pipeline, shown in reports.'),
    data: DataSchema,
    split: SplitSchema.default({ test: 0.2, validation: 0.1, seed: 42 }),
    model: ModelSchema,
    search: SearchSchema.optional(),
    gates: z
      .record(z.string(), GateSchema)
      .default({})
      .describe('Bounds on test metrics, keyed by metric name.'),
    bench: BenchSchema.default({
      iterations: 300,
      warmup: 30,
      batch_size: 64,
      connections: 16,
      seconds: 5,
      gates: {},
    }),
  })
  .superRefine((config, ctx) => {
    const { data, split, model, search, gates, bench } = config;
    for (const name of Object.keys(bench.gates))
      if (!isBenchMetric(name))
        ctx.addIssue({
          code: 'custom',
          path: ['bench', 'gates', name],
          message: `unknown benchmark measurement; expected one of ${BENCH_METRICS.join(', ')}`,
        });
    const seen = new Map<string, number>();
    data.features.forEach((f, i) => {
      if (f.name === data.target)
        ctx.addIssue({
          code: 'custom',
          path: ['data', 'features', i, 'name'],
          message: `"${f.name}" is the target and cannot also be a feature`,
        });
      if (seen.has(f.name))
        ctx.addIssue({
          code: 'custom',
          path: ['data', 'features', i, 'name'],
          message: `"${f.name}" is listed twice (also at data.features[${seen.get(f.name)}])`,
        });
      seen.set(f.name, i);
    });
    if (split.test + split.validation >= 0.9)
      ctx.addIssue({
        code: 'custom',
        path: ['split'],
        message: `test + validation is ${split.test + split.validation}; expected less than 0.9, to leave rows to train on`,
      });
    if (model.kind === 'mlp') checkHiddenSize(model.layers, ['model', 'layers'], ctx);
    if (model.kind === 'tfjs' && model.module === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'module'],
        message: 'kind tfjs needs the module that builds the model, e.g. models/net.ts',
      });
    // A module and its params, or a trainer file's params: a built-in dense kind takes neither.
    const takesParams = model.kind === 'tfjs' || isUserKind(model.kind);
    if (model.kind !== 'tfjs' && model.module !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'module'],
        message: `only kind tfjs takes a module; kind is ${model.kind}`,
      });
    if (!takesParams && model.params !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'params'],
        message: `only kind tfjs or a trainer of your own takes params; kind is ${model.kind}`,
      });
    const task = model.task;
    for (const name of Object.keys(gates)) {
      if (!isKnownMetric(task, name))
        ctx.addIssue({
          code: 'custom',
          path: ['gates', name],
          message: `unknown metric for ${task}; expected one of ${metricNames(task).join(', ')}${task === 'classification' ? ', precision.<class>, recall.<class>' : ''}`,
        });
    }
    if (search) {
      if (search.metric !== 'val_loss' && !metricNames(task).includes(search.metric))
        ctx.addIssue({
          code: 'custom',
          path: ['search', 'metric'],
          message: `expected val_loss or one of ${metricNames(task).join(', ')}, got "${search.metric}"`,
        });
      const grid = Object.values(search.space).reduce((n, values) => n * values.length, 1);
      if (grid > MAX_SEARCH_GRID)
        ctx.addIssue({
          code: 'custom',
          path: ['search', 'space'],
          message: `${grid > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : formatCount(grid)} combinations; expected at most ${formatCount(MAX_SEARCH_GRID)} (list fewer values)`,
        });
      for (const [key, values] of Object.entries(search.space)) {
        if (key === 'task') {
          ctx.addIssue({
            code: 'custom',
            path: ['search', 'space', key],
            message: 'the task cannot be searched',
          });
          continue;
        }
        // A tfjs module's or a trainer's params: its own schema checks each trial's values (train/trainers).
        if (takesParams && /^params\.[^.]+$/.test(key)) continue;
        if (!(MODEL_KEYS as string[]).includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['search', 'space', key],
            message: `unknown model key; expected one of ${MODEL_KEYS.filter((k) => k !== 'task').join(', ')}${takesParams ? ', or params.<name>' : ''}`,
          });
          continue;
        }
        values.forEach((value, i) => {
          const fieldSchema = ModelSchema.shape[key as keyof typeof ModelSchema.shape];
          const result = fieldSchema.safeParse(value);
          if (!result.success)
            ctx.addIssue({
              code: 'custom',
              path: ['search', 'space', key, i],
              message: `${result.error.issues[0]?.message ?? 'invalid value'}, got ${JSON.stringify(value)}`,
            });
          else if (key === 'layers')
            checkHiddenSize(result.data as number[], ['search', 'space', key, i], ctx);
        });
      }
    }
  });

/**
 * The weights between hidden layers alone, known before the data is read; training
 * checks the whole network once it knows the input width (train.ts).
 */
function checkHiddenSize(
  layers: readonly number[],
  path: (string | number)[],
  ctx: z.RefinementCtx,
) {
  // A layer over MAX_UNITS has its own issue already.
  const count = parameterCount(layers);
  if (count > MAX_PARAMETERS && layers.every((units) => units <= MAX_UNITS))
    ctx.addIssue({
      code: 'custom',
      path,
      message: `[${layers.join(', ')}] has ${formatCount(count)} parameters between its hidden layers alone; expected at most ${formatCount(MAX_PARAMETERS)} in all`,
    });
}

export type Config = z.infer<typeof ConfigSchema>;
export type DataConfig = Config['data'];
export type ModelConfig = Config['model'];
export type SearchConfig = z.infer<typeof SearchSchema>;
export type BenchConfig = Config['bench'];

/** The JSON Schema of mlops.yaml, for editors (written to mlops.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    title: 'mlops.yaml',
    description: 'The pipeline definition of an mlops-pipeline repository.',
  };
}
