/**
 * A receiver for Alertmanager's webhook: POST /v1/alerts turns the firing
 * drift and accuracy alerts into one data-refresh request per window and hands
 * it to `send`. Knows nothing of where the request goes (`mlops monitor
 * dispatch` sends it to GitHub); it is its own small server, not a route of the
 * prediction server, so the process that answers predictions never holds the
 * credential that sending needs.
 */
import Fastify, { type FastifyReply, type FastifyServerOptions } from 'fastify';
import { PipelineError } from '../errors.js';
import { AlertmanagerWebhookSchema } from '../monitor/alert-webhook.js';
import { RefreshGate } from '../monitor/refresh-gate.js';
import { refreshRequest, type RefreshRequest } from '../monitor/refresh-request.js';
import { clip } from '../util/text.js';
import { bearerChecker } from './auth.js';

export interface AlertReceiverOptions {
  /** The bearer token Alertmanager sends (its http_config.authorization). */
  token: string;
  /** At most one request per this many seconds. */
  windowSeconds: number;
  /** When the last request was sent, as remembered across restarts. */
  lastSent?: Date;
  /** Sends a request on; rejects when it could not (Alertmanager is then answered 502 and retries). */
  send(request: RefreshRequest): Promise<void>;
  /** A request was sent: remember when. */
  sent?(at: Date, request: RefreshRequest): Promise<void>;
  logger?: FastifyServerOptions['logger'];
  now?: () => number;
}

export interface AlertReceiver {
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

export async function createAlertReceiver(options: AlertReceiverOptions): Promise<AlertReceiver> {
  const now = options.now ?? Date.now;
  const gate = new RefreshGate(options.windowSeconds * 1000, options.lastSent?.getTime());
  const checkToken = bearerChecker(options.token);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 4 * 1024 * 1024 });
  const answer = (reply: FastifyReply, code: number, body: Record<string, unknown>) =>
    reply.code(code).send(body);

  app.addHook('onRequest', (request, reply, done) => {
    if (request.url === '/healthz') return done();
    if (checkToken(request.headers.authorization) === 'ok') return done();
    reply.header('www-authenticate', 'Bearer');
    void answer(reply, 401, { status: 'unauthorized', message: 'a valid bearer token is needed' });
  });

  app.get('/healthz', () => ({ status: 'ok', last_sent: gate.lastSent?.toISOString() ?? null }));

  app.post('/v1/alerts', async (request, reply) => {
    const parsed = AlertmanagerWebhookSchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return answer(reply, 400, {
        status: 'invalid',
        message: `not an Alertmanager webhook (version 4): ${issue.path.join('.') || 'body'}: ${clip(issue.message, 200)}`,
      });
    }
    const refresh = refreshRequest(parsed.data.alerts, options.windowSeconds);
    if (!refresh)
      return answer(reply, 200, {
        status: 'ignored',
        message: 'no firing drift or accuracy alert',
      });
    const taken = gate.acquire(now());
    if (!taken.ok) {
      request.log.info({ reason: taken.reason, next: taken.next }, 'refresh already requested');
      return answer(reply, 200, {
        status: 'suppressed',
        message:
          taken.reason === 'in_flight'
            ? 'a refresh request is being sent'
            : `a refresh was requested at ${gate.lastSent!.toISOString()}; the next one may go at ${taken.next!.toISOString()}`,
      });
    }
    try {
      await options.send(refresh);
    } catch (error) {
      gate.settle(undefined);
      const hint = error instanceof PipelineError ? error.hint : undefined;
      const message = `${error instanceof Error ? error.message : String(error)}${hint ? ` (${hint})` : ''}`;
      request.log.error({ error: message }, 'refresh request failed');
      return answer(reply, 502, { status: 'failed', message });
    }
    const at = new Date(now());
    gate.settle(at.getTime());
    // The request went out: a state file that cannot be written is logged, and
    // the gate in memory still holds the window.
    await options
      .sent?.(at, refresh)
      .catch((error: unknown) =>
        request.log.error({ error: String(error) }, 'cannot remember the request'),
      );
    request.log.info(
      { reason: refresh.reason, alerts: refresh.alerts.length },
      'data refresh requested',
    );
    return answer(reply, 200, {
      status: 'requested',
      reason: refresh.reason,
      alerts: refresh.alerts,
    });
  });

  await app.ready();
  return {
    listen: (host, port) => app.listen({ host, port }),
    close: () => app.close(),
  };
}
