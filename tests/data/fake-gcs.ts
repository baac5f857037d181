/**
 * A local HTTP server speaking the part of the GCS JSON API that
 * @google-cloud/storage uses for our remotes: list, object metadata, media
 * download, multipart and resumable upload, delete. Faults can be queued to
 * answer the next matching request with a 503 or to drop its connection.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = { method: string; path: RegExp; action: 503 | 429 | 'drop' };

export interface FakeGcs {
  endpoint: string;
  objects: Map<string, Buffer>;
  faults: Fault[];
  log: string[];
  close(): Promise<void>;
}

function resource(bucket: string, name: string, data: Buffer) {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/1`,
    name,
    bucket,
    generation: '1',
    size: String(data.length),
    md5Hash: createHash('md5').update(data).digest('base64'),
    contentType: 'application/octet-stream',
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, what: string): void {
  json(res, 404, { error: { code: 404, message: `No such object: ${what}` } });
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** multipart/related: a JSON metadata part, then the media part. */
function parseMultipart(
  data: Buffer,
  contentType: string,
): { meta: { name?: string }; media: Buffer } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('no boundary');
  const sep = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = data.indexOf(sep);
  while (at !== -1) {
    const next = data.indexOf(sep, at + sep.length);
    if (next === -1) break;
    parts.push(data.subarray(at + sep.length, next));
    at = next;
  }
  const content = (part: Buffer) => {
    const start = part.indexOf('\r\n\r\n') + 4;
    return part.subarray(start, part.length - 2); // trailing CRLF before the next boundary
  };
  return {
    meta: JSON.parse(content(parts[0]!).toString()) as { name?: string },
    media: content(parts[1]!),
  };
}

export async function startFakeGcs(bucket: string): Promise<FakeGcs> {
  const objects = new Map<string, Buffer>();
  const faults: Fault[] = [];
  const log: string[] = [];
  const sessions = new Map<string, string>();
  let nextSession = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url!, 'http://x');
    const method = req.method!;
    const entry = `${method} ${url.pathname}${url.search}`;
    const fault = faults.findIndex((f) => f.method === method && f.path.test(entry));
    if (fault !== -1) {
      const [f] = faults.splice(fault, 1);
      log.push(`${entry} -> ${f!.action}`);
      if (f!.action === 'drop') {
        // Read some of the request, answer part of a body, then cut the connection.
        req.resume();
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': '1000000',
        });
        res.write(Buffer.alloc(10, 0x78));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      await body(req);
      json(res, f!.action, { error: { code: f!.action, message: 'injected' } });
      return;
    }
    log.push(entry);
    const objectPath = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const listPath = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(url.pathname);
    const uploadPath = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(url.pathname);
    const b = (objectPath ?? listPath ?? uploadPath)?.[1];
    if (b !== undefined && b !== bucket)
      return json(res, 404, { error: { code: 404, message: `No such bucket: ${b}` } });

    if (listPath && method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('maxResults') ?? 1000);
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const page = names.slice(start, start + max);
      return json(res, 200, {
        kind: 'storage#objects',
        items: page.map((n) => resource(bucket, n, objects.get(n)!)),
        ...(start + max < names.length ? { nextPageToken: String(start + max) } : {}),
      });
    }
    if (objectPath) {
      const name = decodeURIComponent(objectPath[2]!);
      const data = objects.get(name);
      if (method === 'DELETE') {
        objects.delete(name);
        res.writeHead(204).end();
        return;
      }
      if (!data) return notFound(res, name);
      if (url.searchParams.get('alt') === 'media') {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(data.length),
        });
        res.end(data);
        return;
      }
      return json(res, 200, resource(bucket, name, data));
    }
    if (uploadPath) {
      const type = url.searchParams.get('uploadType');
      if (type === 'multipart' && method === 'POST') {
        const { meta, media } = parseMultipart(
          await body(req),
          String(req.headers['content-type']),
        );
        const name = url.searchParams.get('name') ?? meta.name!;
        objects.set(name, media);
        return json(res, 200, resource(bucket, name, media));
      }
      if (type === 'resumable' && method === 'POST') {
        await body(req);
        const id = String(nextSession++);
        sessions.set(id, url.searchParams.get('name')!);
        const { port } = req.socket.address() as AddressInfo;
        res.writeHead(200, {
          location: `http://127.0.0.1:${port}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
        });
        res.end();
        return;
      }
      if (type === 'resumable' && method === 'PUT') {
        const name = sessions.get(url.searchParams.get('upload_id') ?? '');
        if (!name) return json(res, 404, { error: { code: 404, message: 'no such upload' } });
        const data = await body(req);
        objects.set(name, data);
        sessions.delete(url.searchParams.get('upload_id')!);
        return json(res, 200, resource(bucket, name, data));
      }
    }
    json(res, 400, { error: { code: 400, message: `fake GCS does not speak ${entry}` } });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      json(res, 500, { error: { code: 500, message: String(error) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    faults,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
