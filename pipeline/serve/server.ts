/**
 * The prediction server: Fastify with the model slot, metrics, auth, OpenAPI
 * and Swagger UI. A library function; `mlops serve` is the shell that reads the
 * token, listens, and turns signals into close() and reload().
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { initBackend, type BackendName } from '../train/backend.js';
import { API_VERSION } from './api-version.js';
import { bearerChecker } from './auth.js';
import { PredictBatcher } from './batcher.js';
import { clip } from '../util/text.js';
import {
  closeWithGrace,
  connectionLimits,
  TIMEOUT_CHECK_INTERVAL,
  type ConnectionLimits,
} from './connections.js';
import { toApiError, type ApiError } from './errors.js';
import { JSON_LIMITS, useBoundedJsonParser, type JsonLimits } from './json-limits.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { Monitoring, type MonitoringOptions } from '../monitor/monitoring.js';
import { registerMonitoringMetrics } from './monitoring-metrics.js';
import { ModelSlot, type ReloadResult } from './model-slot.js';
import { registerMonitoringRoutes } from './monitoring-routes.js';
import { registerRoutes, type RouteContext } from './routes.js';
import { ErrorResponse, FieldError, MAX_ROWS_DEFAULT, Prediction, Row } from './schemas.js';

export const BODY_LIMIT_DEFAULT = 1024 * 1024;

export interface ServerOptions extends Partial<ConnectionLimits> {
  /** The model bundle folder; reloads read it again (it may be a symlink that a deploy switches). */
  modelDir: string;
  /** When set, predict and admin routes need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body in bytes; larger ones are answered 413. */
  bodyLimit?: number;
  /** Most rows in one batch. */
  maxRows?: number;
  /** TensorFlow.js backend to prefer (the fastest that loads, when not given). */
  backend?: BackendName;
  /** Bounds on a JSON body's nesting, fields and string lengths. */
  jsonLimits?: JsonLimits;
  /** Fastify's logger option (false: no log). */
  logger?: FastifyServerOptions['logger'];
  /** The live window of inputs, predictions and feedback; false turns monitoring off. */
  monitoring?: MonitoringOptions | false;
}

export interface PredictionServer {
  app: FastifyInstance;
  slot: ModelSlot;
  metrics: ServerMetrics;
  /** Undefined when monitoring is off. */
  monitoring: Monitoring | undefined;
  /** Load the model folder again and swap it in; the old model serves until then. */
  reload(): Promise<ReloadResult>;
  listen(host: string, port: number): Promise<string>;
  /**
   * Stop accepting, finish the requests in flight, release the model. Connections
   * still open after the shutdown grace (a stalled upload) are cut.
   */
  close(): Promise<void>;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export async function createPredictionServer(options: ServerOptions): Promise<PredictionServer> {
  const bodyLimit = options.bodyLimit ?? BODY_LIMIT_DEFAULT;
  const maxRows = options.maxRows ?? MAX_ROWS_DEFAULT;
  const limits = connectionLimits(options);
  await initBackend(options.backend);
  let closing = false;
  const slot = new ModelSlot(options.modelDir);
  const metrics = createMetrics();
  const monitoring =
    options.monitoring === false ? undefined : new Monitoring(options.monitoring ?? {});
  if (monitoring)
    registerMonitoringMetrics(metrics.registry, monitoring, () => slot.current?.version);
  const batcher = new PredictBatcher(slot);
  const checkToken = options.token ? bearerChecker(options.token) : undefined;

  const app = Fastify({
    bodyLimit,
    // A client that stalls in its headers or body is cut off (408), and an idle
    // keep-alive connection closed, so stalled sockets cannot pile up.
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    http: {
      headersTimeout: limits.headersTimeout,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL, limits.headersTimeout),
    },
    logger: options.logger ?? false,
    // One log line per request would cost more than the prediction; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's request id is kept when it is a plain token, so logs can be joined up.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
    // Answered by the hook below instead, in the API's error envelope.
    return503OnClosing: false,
  });
  // Below the descriptor limit: past it the process could neither accept nor
  // read a model; over the cap a new connection is refused and others are served.
  app.server.maxConnections = limits.maxConnections;
  useBoundedJsonParser(app, options.jsonLimits ?? JSON_LIMITS);

  const envelope = (request: FastifyRequest, version = slot.current?.version ?? null) => ({
    model_version: version,
    api_version: API_VERSION,
    request_id: request.id,
  });
  const sendError = (request: FastifyRequest, reply: FastifyReply, error: ApiError) =>
    reply.code(error.status).send({
      error: {
        code: error.code,
        message: error.message,
        ...(error.fields ? { fields: error.fields } : {}),
      },
      ...envelope(request),
    });

  const modelInfo = () => {
    metrics.modelInfo.reset();
    metrics.modelLoaded.reset();
    const model = slot.current;
    if (model)
      metrics.modelLoaded.set({ model_version: model.version }, model.loadedAt.getTime() / 1000);
    if (model) monitoring?.loaded(model.version, model.bundle.preprocess, model.profile);
    if (model)
      metrics.modelInfo.set(
        {
          model_version: model.version,
          name: model.bundle.metadata.name,
          task: model.bundle.metadata.task,
        },
        1,
      );
  };
  const reload = async () => {
    const result = await slot.reload();
    metrics.reloads.inc({ result: result.ok ? 'success' : 'failure' });
    modelInfo();
    if (result.ok)
      app.log.info({ model_version: result.version, previous: result.previous }, 'model loaded');
    else app.log.error({ error: result.error }, 'model not loaded');
    return result;
  };

  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-api-version', API_VERSION);
    // While closing, a keep-alive connection is ended after its response instead
    // of holding shutdown open until the client lets go of it.
    if (closing) reply.header('connection', 'close');
    // Answered before its body was read (401, 413, 415 …): close the connection
    // rather than wait for a body nobody will read.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (!reply.hasHeader('x-model-version'))
      reply.header('x-model-version', slot.current?.version ?? '');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      // The route pattern, never the raw URL: unknown paths share one label.
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    metrics.duration.observe(labels, reply.elapsedTime / 1000);
    metrics.requests.inc(labels);
    if (reply.statusCode >= 400) metrics.errors.inc(labels);
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const api = toApiError(error, bodyLimit);
    if (api.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(request, reply, api);
  });
  // Fastify's own 503 while closing has a body of its own, not the declared one.
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    sendError(request, reply, {
      status: 503,
      code: 'not_ready',
      message: 'the server is shutting down',
    });
  });
  // A route called with the wrong method is not "not found": say which methods it
  // takes. Answered on request, before Fastify reads (or insists on) a body.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?')[0]!;
    const allowed = HTTP_METHODS.filter((method) => app.hasRoute({ method, url: path }));
    if (!allowed.length) return done();
    reply.header('allow', allowed.join(', '));
    sendError(request, reply, {
      status: 405,
      code: 'method_not_allowed',
      message: `${request.method} is not allowed on ${clip(path)}; use ${allowed.join(' or ')}`,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, {
      status: 404,
      code: 'not_found',
      message: `${request.method} ${clip(request.url.split('?')[0]!)} is not a route; see /docs`,
    }),
  );

  const authenticate = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!checkToken) return done();
    const outcome = checkToken(request.headers.authorization);
    if (outcome === 'ok') return done();
    reply.header(
      'www-authenticate',
      `Bearer${outcome === 'invalid' ? ' error="invalid_token"' : ''}`,
    );
    sendError(request, reply, {
      status: 401,
      code: 'unauthorized',
      message:
        outcome === 'missing'
          ? 'missing Authorization header; send "Authorization: Bearer <token>"'
          : 'invalid bearer token',
    });
  };

  // Loaded before the routes are declared, so the docs can show one of its rows.
  await reload();

  for (const schema of [FieldError, ErrorResponse, Prediction, Row]) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mlops prediction server',
        version: API_VERSION,
        description:
          'Predictions from the model bundle being served. Every response carries model_version, api_version and request_id (also as X-Model-Version, X-Api-Version and X-Request-Id headers).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const routes: RouteContext = {
    slot,
    batcher,
    metrics,
    monitoring,
    maxRows,
    secured: checkToken !== undefined,
    authenticate,
    authenticateAdmin: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      if (checkToken) return authenticate(request, reply, done);
      sendError(request, reply, {
        status: 403,
        code: 'forbidden',
        message: 'admin routes are off when no token is configured; send SIGHUP to reload',
      });
    },
    envelope,
    sendError,
    reload,
  };
  registerRoutes(app, routes);
  if (monitoring) registerMonitoringRoutes(app, routes, monitoring);

  await app.ready();

  return {
    app,
    slot,
    metrics,
    monitoring,
    reload,
    listen: (host, port) => app.listen({ host, port }),
    close: async () => {
      closing = true;
      await closeWithGrace(app.server, () => app.close(), limits.shutdownGrace);
      slot.dispose();
    },
  };
}
