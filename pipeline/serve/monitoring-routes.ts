/**
 * GET /v1/monitoring (the live window, for a human) and POST /v1/feedback (the
 * true value of an answered prediction). Registered only when monitoring is on.
 */
import type { FastifyInstance } from 'fastify';
import type { Monitoring } from '../monitor/monitoring.js';
import { FeedbackBody, FeedbackResponse, MonitoringResponse } from './monitoring-schemas.js';
import type { RouteContext } from './routes.js';

/** NaN (no PSI yet) as null: JSON has no NaN. */
const orNull = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? null : x;

export function registerMonitoringRoutes(
  app: FastifyInstance,
  ctx: RouteContext,
  monitoring: Monitoring,
): void {
  const errors = { '4xx': { $ref: 'ErrorResponse#' }, '5xx': { $ref: 'ErrorResponse#' } };
  const secured = ctx.secured ? { security: [{ bearer: [] }] } : {};
  const { envelope, sendError, slot } = ctx;

  app.post(
    '/v1/feedback',
    {
      onRequest: ctx.authenticate,
      schema: {
        summary: 'Give the true value for a prediction, to measure live accuracy',
        body: FeedbackBody,
        response: { 200: FeedbackResponse, ...errors },
        ...secured,
      },
    },
    (request, reply) => {
      const body = request.body as { request_id: string; value: unknown };
      const result = monitoring.feedback(body.request_id, body.value);
      if (!result.ok)
        return sendError(request, reply, {
          status: result.status,
          code: result.code,
          message: result.message,
        });
      return reply.send({
        status: 'recorded',
        rows: result.rows,
        ...envelope(request, result.model_version),
      });
    },
  );

  app.get(
    '/v1/monitoring',
    {
      schema: {
        summary: 'The live window: drift per feature, prediction shares, live accuracy',
        response: { 200: MonitoringResponse, ...errors },
      },
    },
    (request, reply) => {
      const current = slot.current?.version;
      const versions = monitoring.views().map((v) => ({
        ...v,
        current: v.model_version === current,
        features: v.features.map((f) => ({ ...f, psi: orNull(f.psi) })),
        predictions:
          v.predictions.task === 'regression'
            ? { ...v.predictions, mean: orNull(v.predictions.mean), psi: orNull(v.predictions.psi) }
            : v.predictions,
      }));
      return reply.send({
        window_seconds: monitoring.windowSeconds,
        min_rows: monitoring.minRows,
        versions,
        ...envelope(request),
      });
    },
  );
}
