/**
 * The routes of the prediction server. Each declares its schemas (from
 * schemas.ts), which drive validation, serialisation and the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { FieldError } from '../prepare/preprocess.js';
import type { PredictBatcher } from './batcher.js';
import type { ApiError } from './errors.js';
import type { ServerMetrics } from './metrics.js';
import type { Monitoring } from '../monitor/monitoring.js';
import { exampleRow, type ModelSlot, type ReloadResult } from './model-slot.js';
import {
  ModelResponse,
  PredictResponse,
  predictBody,
  ReadyResponse,
  ReloadResponse,
  StatusResponse,
} from './schemas.js';

export interface Envelope {
  model_version: string | null;
  api_version: string;
  request_id: string;
}

export interface RouteContext {
  slot: ModelSlot;
  batcher: PredictBatcher;
  metrics: ServerMetrics;
  /** The live window the predict route feeds; undefined when monitoring is off. */
  monitoring: Monitoring | undefined;
  maxRows: number;
  /** A token is configured: predict and admin routes declare bearer security. */
  secured: boolean;
  authenticate: onRequestHookHandler;
  authenticateAdmin: onRequestHookHandler;
  envelope(request: FastifyRequest, version?: string | null): Envelope;
  sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply;
  reload(): Promise<ReloadResult>;
}

/** Most field errors listed in one response; the message gives the total. */
const MAX_FIELD_ERRORS = 100;

function describeFieldErrors(
  errors: readonly FieldError[],
  [one, many]: readonly [string, string],
): string {
  const shown = errors
    .slice(0, 5)
    .map((e) => `row ${e.row} ${e.field ? `"${e.field}" ` : ''}${e.message}`);
  return `${errors.length} ${errors.length === 1 ? one : many}: ${shown.join('; ')}${errors.length > 5 ? '; …' : ''}`;
}

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const errors = { '4xx': { $ref: 'ErrorResponse#' }, '5xx': { $ref: 'ErrorResponse#' } };
  const secured = ctx.secured ? { security: [{ bearer: [] }] } : {};
  const { slot, batcher, metrics, envelope, sendError } = ctx;

  app.post(
    '/v1/predict',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Predict one row or a batch',
        body: predictBody(ctx.maxRows, slot.current && exampleRow(slot.current.bundle)),
        response: { 200: PredictResponse, ...errors },
        ...secured,
      },
    },
    async (request, reply) => {
      const body = request.body as { rows?: unknown[] };
      const batch = Array.isArray(body.rows);
      const rows = batch ? body.rows! : [body];
      const outcome = await batcher.predict(rows);
      if (outcome.version === null)
        return sendError(request, reply, {
          status: 503,
          code: 'not_ready',
          message: outcome.notReady,
        });
      if (!outcome.ok)
        return sendError(
          request,
          reply,
          outcome.reason === 'invalid'
            ? {
                status: 400,
                code: 'invalid_input',
                message: describeFieldErrors(outcome.errors, ['invalid value', 'invalid values']),
                fields: outcome.errors.slice(0, MAX_FIELD_ERRORS),
              }
            : {
                status: 422,
                code: 'non_finite_prediction',
                message: describeFieldErrors(outcome.errors, [
                  'row without a finite prediction',
                  'rows without a finite prediction',
                ]),
                fields: outcome.errors.slice(0, MAX_FIELD_ERRORS),
              },
        );
      const version = outcome.version;
      for (const p of outcome.predictions)
        metrics.predictions.inc({ model_version: version, class: 'label' in p ? p.label : '' });
      ctx.monitoring?.answered(version, request.id, rows, outcome.predictions, batch);
      reply.header('x-model-version', version);
      const head = envelope(request, version);
      return reply.send(
        batch
          ? { predictions: outcome.predictions, ...head }
          : { prediction: outcome.predictions[0], ...head },
      );
    },
  );

  app.get(
    '/v1/model',
    {
      schema: {
        summary: 'The model being served and its features',
        response: { 200: ModelResponse, ...errors },
      },
    },
    (request, reply) => {
      const model = slot.current;
      if (!model)
        return sendError(request, reply, {
          status: 503,
          code: 'not_ready',
          message: 'no model loaded',
        });
      const { metadata, preprocess } = model.bundle;
      const optional = new Set(preprocess.optional);
      return reply.send({
        name: metadata.name,
        task: metadata.task,
        created_at: metadata.created_at,
        loaded_at: model.loadedAt.toISOString(),
        features: preprocess.features.map((f) => ({
          name: f.name,
          type: f.type,
          required: !optional.has(f.name),
          ...(f.type === 'categorical' ? { categories: f.categories } : {}),
        })),
        ...(preprocess.target.task === 'classification'
          ? { classes: preprocess.target.classes }
          : {}),
        // Test metrics are the evaluation's (reports/metrics.json, the registry record), not the bundle's.
        validation_metrics: metadata.validation_metrics,
        ...envelope(request, model.version),
      });
    },
  );

  app.get(
    '/healthz',
    { schema: { summary: 'The process is alive', response: { 200: StatusResponse } } },
    (request, reply) => reply.send({ status: 'ok', ...envelope(request) }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'A model is loaded and predictions can be served',
        response: { 200: ReadyResponse, ...errors },
      },
    },
    (request, reply) => {
      // One read of the slot, so the release and the version belong to the same model.
      const model = slot.current;
      return model
        ? reply.send({
            status: 'ready',
            release: model.release,
            ...envelope(request, model.version),
          })
        : sendError(request, reply, {
            status: 503,
            code: 'not_ready',
            message: `no model loaded${slot.error ? `: ${slot.error}` : ''}`,
          });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        // Declared with its own media type: without it the document says JSON.
        response: {
          200: {
            description: 'Every metric of the server, in the Prometheus text format.',
            content: { [metrics.registry.contentType]: { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.post(
    '/admin/reload',
    {
      onRequest: ctx.authenticateAdmin,
      schema: {
        summary: 'Load the model folder again and swap the new model in',
        response: { 200: ReloadResponse, ...errors },
        ...secured,
      },
    },
    async (request, reply) => {
      const result = await ctx.reload();
      if (!result.ok)
        return sendError(request, reply, {
          status: 409,
          code: 'reload_failed',
          message: `${result.error}; still serving ${result.version ?? 'no model'}`,
        });
      return reply.send({
        status: 'reloaded',
        previous_version: result.previous,
        ...envelope(request, result.version),
      });
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, (_request, reply) =>
    reply.send(app.swagger()),
  );
}
