/** The schemas of GET /v1/monitoring and POST /v1/feedback (see schemas.ts for the others). */
import { envelope, envelopeKeys } from './schemas.js';

const share = { type: 'number', minimum: 0, maximum: 1 } as const;
const orNull = { type: ['number', 'null'] } as const;

export const FeedbackBody = {
  type: 'object',
  description:
    'The true value for a prediction the server answered: the class (classification) or the number (regression); for a batch request, an array with one per row, in request order.',
  properties: {
    request_id: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description: 'The request_id of the prediction response.',
    },
    value: {
      description: 'A class name, a number, or an array of them for a batch.',
      anyOf: [
        { type: 'string' },
        { type: 'number' },
        { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
      ],
    },
  },
  required: ['request_id', 'value'],
  additionalProperties: false,
} as const;

export const FeedbackResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', description: 'recorded' },
    rows: { type: 'integer', description: 'Predicted rows the feedback scored.' },
    ...envelope,
  },
  required: ['status', 'rows', ...envelopeKeys],
} as const;

const Feature = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['numeric', 'categorical'] },
    present: { type: 'number', description: 'Rows in the window with a value for it.' },
    psi: { ...orNull, description: 'Population stability index; null below min_rows.' },
    missing_ratio: share,
    unknown_ratio: { ...share, description: 'Categorical: share of values not seen in training.' },
    verdict: { type: 'string', enum: ['ok', 'drift', 'too_few_rows'] },
    bins: {
      type: 'array',
      items: {
        type: 'object',
        properties: { bin: { type: 'string' }, training_share: share, live_share: share },
        required: ['bin', 'training_share', 'live_share'],
      },
    },
  },
  required: ['name', 'type', 'present', 'psi', 'missing_ratio', 'verdict', 'bins'],
} as const;

const Version = {
  type: 'object',
  properties: {
    model_version: { type: 'string' },
    current: { type: 'boolean', description: 'The model being served.' },
    profile: {
      type: 'boolean',
      description:
        'The bundle has a training profile; without one there is no drift, only feedback.',
    },
    rows: { type: 'number', description: 'Rows predicted in the window.' },
    thresholds: {
      type: 'object',
      description: 'From the training config: data.drift.psi and the gate bounds of live metrics.',
      properties: {
        psi: { type: 'number' },
        accuracy_min: { type: 'number' },
        rmse_max: { type: 'number' },
        mae_max: { type: 'number' },
      },
      required: ['psi'],
    },
    features: { type: 'array', items: Feature },
    predictions: {
      type: 'object',
      description:
        'Classification: live and training (test split) shares per class. Regression: live and training mean, and the PSI of the predictions.',
      properties: {
        task: { type: 'string', enum: ['classification', 'regression'] },
        classes: {
          type: 'array',
          items: {
            type: 'object',
            properties: { class: { type: 'string' }, training_share: share, live_share: share },
            required: ['class', 'training_share', 'live_share'],
          },
        },
        mean: orNull,
        training_mean: { type: 'number' },
        psi: orNull,
      },
      required: ['task'],
    },
    feedback: {
      type: 'object',
      description: 'Predicted rows that got feedback in the window, and the live metric over them.',
      properties: {
        count: { type: 'number' },
        accuracy: { type: 'number' },
        rmse: { type: 'number' },
        mae: { type: 'number' },
      },
      required: ['count'],
    },
  },
  required: [
    'model_version',
    'current',
    'profile',
    'rows',
    'thresholds',
    'features',
    'predictions',
    'feedback',
  ],
} as const;

export const MonitoringResponse = {
  type: 'object',
  properties: {
    window_seconds: { type: 'number' },
    min_rows: { type: 'number', description: 'Rows the window needs before PSI is computed.' },
    versions: {
      type: 'array',
      description: 'The model versions monitored: the one being served and up to two before it.',
      items: Version,
    },
    ...envelope,
  },
  required: ['window_seconds', 'min_rows', 'versions', ...envelopeKeys],
} as const;
