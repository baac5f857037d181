/**
 * An HTTP proxy in front of fake-gcs-server (tests/support/gcs-emulator.ts)
 * for the faults an emulator cannot be made to produce on cue: every request
 * goes to the emulator unchanged and its answer comes back unchanged, unless a
 * rule the test set matches it; then the proxy answers a status with GCS's own
 * JSON error body, drops the connection, cuts or stalls the real answer
 * part-way, or holds the request back before forwarding it. Written by hand: a
 * general proxy library rewrites too little (GCS error bodies) or too much.
 */
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * - a status (503, 429, 403, 412, …): answered at once with GCS's JSON error body;
 * - `reset`: the request is read and the connection closed with no answer;
 * - `cut`: the emulator's answer is sent up to half its body, then the connection closed;
 * - `stall`: the same half answer, then nothing more (a peer that died without a FIN);
 * - `{ delay }`: forwarded after `delay` milliseconds.
 */
export type FaultAction = number | 'reset' | 'cut' | 'stall' | { delay: number };

export interface Fault {
  /** `undefined`: any method. */
  method?: string;
  /** Tested against `METHOD /path?query`, as the client sent it. */
  path: RegExp;
  action: FaultAction;
  /** How many matching requests it answers before it is used up (1 unless given). */
  times?: number;
  /** The error message of a status answer (GCS's wording for the status otherwise). */
  message?: string;
}

export interface GcsFaultProxy {
  /** `http://127.0.0.1:PORT`: give this to the client instead of the emulator's endpoint. */
  endpoint: string;
  /** The rules not used up yet, first match first; a test pushes to it or empties it. */
  faults: Fault[];
  /** Every request as `METHOD /path?query`, with ` -> ACTION` when a rule answered it. */
  log: string[];
  close(): Promise<void>;
}

/** GCS's reason and message for each status a test injects. */
const GCS_ERRORS: Record<number, [reason: string, message: string]> = {
  403: [
    'forbidden',
    "ci@p.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).",
  ],
  404: ['notFound', 'No such object.'],
  412: ['conditionNotMet', 'At least one of the pre-conditions you specified did not hold.'],
  429: [
    'rateLimitExceeded',
    'The object exceeded the rate limit for object mutation operations (create, update, and delete).',
  ],
  500: ['backendError', 'We encountered an internal error. Please try again.'],
  503: ['backendError', 'We encountered an internal error. Please try again.'],
};

const label = (action: FaultAction) =>
  typeof action === 'object' ? `delay ${action.delay}` : String(action);

export async function startGcsFaultProxy(upstream: string): Promise<GcsFaultProxy> {
  const target = new URL(upstream);
  const faults: Fault[] = [];
  const log: string[] = [];
  const held = new Set<Socket>();
  let endpoint = '';

  const take = (req: IncomingMessage, entry: string): Fault | undefined => {
    const i = faults.findIndex(
      (f) => (f.method === undefined || f.method === req.method) && f.path.test(entry),
    );
    if (i === -1) return undefined;
    const fault = faults[i]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(i, 1);
    return fault;
  };

  /** The emulator's answer; `partial` sends only its head and half its body. */
  const forward = (req: IncomingMessage, res: ServerResponse, partial?: 'cut' | 'stall') => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: target.host };
    const up = request(new URL(req.url!, target), { method: req.method, headers }, (answer) => {
      const out = { ...answer.headers };
      // A resumable upload goes on at the URL the server gives: through the proxy too.
      if (out.location) out.location = out.location.replace(target.origin, endpoint);
      if (!partial) {
        res.writeHead(answer.statusCode!, out);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(answer.statusCode!, out);
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        if (partial === 'cut') setTimeout(() => res.socket?.destroy(), 20);
        else if (res.socket) held.add(res.socket);
      });
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  };

  const server = createServer((req, res) => {
    const entry = `${req.method} ${req.url}`;
    const fault = take(req, entry);
    log.push(fault ? `${entry} -> ${label(fault.action)}` : entry);
    const action = fault?.action;
    if (action === undefined) return forward(req, res);
    if (action === 'cut' || action === 'stall') return forward(req, res, action);
    if (typeof action === 'object') {
      setTimeout(() => forward(req, res), action.delay);
      return;
    }
    req.resume();
    req.on('end', () => {
      if (action === 'reset') return req.socket.destroy();
      const [reason, text] = GCS_ERRORS[action] ?? ['backendError', `HTTP ${action}`];
      const message = fault!.message ?? text;
      res.writeHead(action, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        JSON.stringify({
          error: { code: action, message, errors: [{ message, domain: 'global', reason }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    faults,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of held) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
