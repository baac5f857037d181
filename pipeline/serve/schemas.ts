/**
 * The API's JSON schemas, declared once: Fastify validates requests and
 * serialises responses with them, and @fastify/swagger turns the same objects
 * into the OpenAPI document. Feature values are checked against the loaded
 * model's own feature schema (preprocess.json) by encodeRows, since a reload
 * can change the features; the envelope around them is checked here.
 */
export const MAX_ROWS_DEFAULT = 1000;

export const FieldError = {
  $id: 'FieldError',
  type: 'object',
  description: 'One problem with one value of the request.',
  properties: {
    row: { type: 'integer', description: '0-based index of the row in the request.' },
    field: {
      type: 'string',
      description: 'The feature (or JSON path) at fault; empty for a whole row.',
    },
    message: { type: 'string' },
  },
  required: ['row', 'field', 'message'],
} as const;

/** Carried by every JSON response. */
export const envelope = {
  model_version: {
    type: ['string', 'null'],
    description: 'The model that answered (null while none is loaded).',
  },
  api_version: {
    type: 'string',
    description: 'Version of the serving code (the package version).',
  },
  request_id: {
    type: 'string',
    description:
      'The X-Request-Id sent, or one made for the request; also in the X-Request-Id header.',
  },
} as const;
export const envelopeKeys = ['model_version', 'api_version', 'request_id'] as const;

export const ErrorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: {
          type: 'string',
          description:
            'invalid_input, non_finite_prediction, invalid_request, unauthorized, forbidden, not_found, method_not_allowed, payload_too_large, unsupported_media_type, not_ready, reload_failed, conflict, invalid_feedback or internal.',
        },
        message: { type: 'string' },
        fields: { type: 'array', items: { $ref: 'FieldError#' } },
      },
      required: ['code', 'message'],
    },
    ...envelope,
  },
  required: ['error', ...envelopeKeys],
} as const;

export const Prediction = {
  $id: 'Prediction',
  type: 'object',
  description: 'Classification: label and class probabilities. Regression: value.',
  properties: {
    label: { type: 'string' },
    probabilities: { type: 'object', additionalProperties: { type: 'number' } },
    value: { type: 'number' },
  },
} as const;

export const Row = {
  $id: 'Row',
  type: 'object',
  description:
    'Feature values by column name: numbers for numeric features, strings for categorical ones; optional features may be null or left out. GET /v1/model lists the features.',
  not: { required: ['rows'] },
  additionalProperties: true,
} as const;

/** `example` (a row of the model loaded at start) fills Swagger UI's "Try it out". */
export function predictBody(maxRows: number, example?: Record<string, unknown>) {
  return {
    description: `One row, or {"rows": [...]} with 1 to ${maxRows} rows.`,
    ...(example ? { examples: [example, { rows: [example, example] }] } : {}),
    anyOf: [
      {
        type: 'object',
        title: 'Batch',
        properties: {
          rows: { type: 'array', minItems: 1, maxItems: maxRows, items: { type: 'object' } },
        },
        required: ['rows'],
        additionalProperties: false,
      },
      { $ref: 'Row#' },
    ],
  };
}

export const PredictResponse = {
  type: 'object',
  description: 'prediction for a one-row request, predictions (in request order) for a batch.',
  properties: {
    prediction: { $ref: 'Prediction#' },
    predictions: { type: 'array', items: { $ref: 'Prediction#' } },
    ...envelope,
  },
  required: [...envelopeKeys],
} as const;

export const StatusResponse = {
  type: 'object',
  properties: { status: { type: 'string' }, ...envelope },
  required: ['status', ...envelopeKeys],
} as const;

export const ReadyResponse = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    release: {
      type: 'string',
      description:
        'The folder holding the model folder, symlinks resolved: under a deploy, the release being served.',
    },
    ...envelope,
  },
  required: ['status', 'release', ...envelopeKeys],
} as const;

export const ModelResponse = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    task: { type: 'string', enum: ['classification', 'regression'] },
    created_at: { type: 'string' },
    loaded_at: { type: 'string' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { type: 'string', enum: ['numeric', 'categorical'] },
          required: { type: 'boolean' },
          categories: {
            type: 'array',
            items: { type: 'string' },
            description: 'Values seen in training; others are accepted as "unseen".',
          },
        },
        required: ['name', 'type', 'required'],
      },
    },
    classes: { type: 'array', items: { type: 'string' } },
    validation_metrics: {
      type: 'object',
      additionalProperties: { type: 'number' },
      description: 'Metrics on the validation split, recorded when the model was trained.',
    },
    ...envelope,
  },
  required: ['name', 'task', 'features', ...envelopeKeys],
} as const;

export const ReloadResponse = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    previous_version: { type: ['string', 'null'] },
    ...envelope,
  },
  required: ['status', ...envelopeKeys],
} as const;
