/**
 * Only for faults: the GCS tests run against fake-gcs-server, a real emulator
 * (tests/support/gcs-emulator.ts); this stand-in stays for what an emulator
 * cannot be made to do on cue — answer one chosen request with a 5xx, 429 or
 * 403, drop a connection part-way through an answer, or fall silent — which the
 * retry, deadline and credential tests need.
 *
 * A local HTTP server speaking the part of the GCS JSON API that
 * @google-cloud/storage uses for our stores: listing by prefix with pages,
 * object metadata, media download (of a given generation), multipart upload
 * with ifGenerationMatch (412 when it does not hold), resumable upload, and
 * delete. Objects live in memory; each write gets a new, increasing
 * generation as in GCS, also when a test sets one in `objects` directly.
 * Faults can be queued to answer the next matching request with an error
 * status, to drop its connection part-way through an answer, or to start an
 * answer and then send nothing more (a peer that died without a FIN).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';

/** `path` is tested against `METHOD /path?query`. */
export type Fault = { method: string; path: RegExp; action: number | 'drop' | 'stall' };

/** Bytes by object name; setting one (a test damaging an object, say) replaces its generation. */
class Objects extends Map<string, Buffer> {
  readonly generations = new Map<string, number>();
  private last = Date.now() * 1000;

  override set(name: string, data: Buffer): this {
    super.set(name, data);
    this.generations.set(name, ++this.last);
    return this;
  }

  override delete(name: string): boolean {
    this.generations.delete(name);
    return super.delete(name);
  }
}

export interface FakeGcs {
  endpoint: string;
  objects: Objects;
  faults: Fault[];
  /** Every request, as `METHOD /path?query`, with ` -> fault` when one was injected. */
  log: string[];
  /** Count of uploads answered 412. */
  preconditionFailures: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, message: string, reason: string): void {
  send(res, status, { error: { code: status, message, errors: [{ message, reason }] } });
}

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The parts of a multipart/related body: [metadata JSON, media bytes]. */
function multipart(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) throw new Error('no multipart boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // The part ends with the CRLF that precedes the next delimiter.
    parts.push(part.subarray(headerEnd + 4, part.length - 2));
    start = next;
  }
  return parts;
}

export async function startFakeGcs(bucketName: string): Promise<FakeGcs> {
  const objects = new Objects();
  const faults: Fault[] = [];
  const log: string[] = [];
  const sessions = new Map<string, string>();
  const state = { preconditionFailures: 0, nextSession: 0 };

  const resource = (name: string) => {
    const data = objects.get(name)!;
    const generation = String(objects.generations.get(name));
    return {
      kind: 'storage#object',
      id: `${bucketName}/${name}/${generation}`,
      name,
      bucket: bucketName,
      generation,
      metageneration: '1',
      contentType: 'application/octet-stream',
      size: String(data.byteLength),
      md5Hash: createHash('md5').update(data).digest('base64'),
      crc32c: crc32c(data),
    };
  };

  /** Store an upload when its ifGenerationMatch (0: must not exist) holds. */
  const store = (res: ServerResponse, name: string, data: Buffer, match: string | null) => {
    const current = objects.generations.get(name);
    if (match !== null && String(current ?? 0) !== match) {
      state.preconditionFailures++;
      return error(
        res,
        412,
        'At least one of the pre-conditions you specified did not hold.',
        'conditionNotMet',
      );
    }
    objects.set(name, data);
    send(res, 200, resource(name));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url!, 'http://localhost');
    const q = url.searchParams;
    const method = req.method!;
    const entry = `${method} ${url.pathname}${url.search}`;
    const fault = faults.findIndex((f) => f.method === method && f.path.test(entry));
    if (fault !== -1) {
      const [f] = faults.splice(fault, 1);
      log.push(`${entry} -> ${f!.action}`);
      if (f!.action === 'drop' || f!.action === 'stall') {
        // Read the request, answer part of a body, then cut the connection or fall silent.
        req.resume();
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': '1000000',
        });
        res.write(Buffer.alloc(10, 0x78));
        if (f!.action === 'drop') setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      await readBody(req);
      return error(res, f!.action, 'injected', f!.action === 403 ? 'forbidden' : 'injected');
    }
    log.push(entry);
    const object = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const list = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(url.pathname);
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(url.pathname);
    const bucket = decodeURIComponent((object ?? list ?? upload)?.[1] ?? '');
    if (bucket !== bucketName)
      return error(res, 404, 'The specified bucket does not exist.', 'notFound');

    if (list && method === 'GET') {
      const prefix = q.get('prefix') ?? '';
      const pageSize = Number(q.get('maxResults') ?? 1000);
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const from = Number(q.get('pageToken') ?? 0);
      return send(res, 200, {
        kind: 'storage#objects',
        items: names.slice(from, from + pageSize).map(resource),
        ...(from + pageSize < names.length ? { nextPageToken: String(from + pageSize) } : {}),
      });
    }

    if (object) {
      const name = decodeURIComponent(object[2]!);
      if (method === 'DELETE') {
        objects.delete(name);
        res.writeHead(204).end();
        return;
      }
      const generation = q.get('generation');
      const data = objects.get(name);
      if (!data || (generation !== null && String(objects.generations.get(name)) !== generation))
        return error(res, 404, `No such object: ${bucket}/${name}`, 'notFound');
      if (q.get('alt') !== 'media') return send(res, 200, resource(name));
      const r = resource(name);
      res.writeHead(200, {
        'content-type': r.contentType,
        'content-length': data.byteLength,
        'x-goog-generation': r.generation,
        'x-goog-hash': `crc32c=${r.crc32c},md5=${r.md5Hash}`,
        'x-goog-stored-content-encoding': 'identity',
      });
      res.end(data);
      return;
    }

    if (upload) {
      const type = q.get('uploadType');
      if (type === 'multipart' && method === 'POST') {
        const [meta, media] = multipart(await readBody(req), req.headers['content-type'] ?? '');
        const name =
          q.get('name') ?? (JSON.parse(meta!.toString('utf8')) as { name?: string }).name;
        if (!name || !media) return error(res, 400, 'missing name or media', 'invalid');
        return store(res, name, Buffer.from(media), q.get('ifGenerationMatch'));
      }
      if (type === 'resumable' && method === 'POST') {
        await readBody(req);
        const id = String(state.nextSession++);
        sessions.set(id, q.get('name')!);
        const { port } = req.socket.address() as AddressInfo;
        res.writeHead(200, {
          location: `http://127.0.0.1:${port}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
        });
        res.end();
        return;
      }
      if (type === 'resumable' && method === 'PUT') {
        const name = sessions.get(q.get('upload_id') ?? '');
        if (!name) return error(res, 404, 'no such upload', 'notFound');
        const data = await readBody(req);
        sessions.delete(q.get('upload_id')!);
        return store(res, name, data, null);
      }
    }
    error(res, 400, `fake GCS does not speak ${entry}`, 'invalid');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => error(res, 500, String(e), 'backendError'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    faults,
    log,
    get preconditionFailures() {
      return state.preconditionFailures;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
