/**
 * A small HTTP server speaking the part of the Cloud Storage JSON API that the
 * @google-cloud/storage client uses for the registry: multipart upload with
 * ifGenerationMatch (412 when it does not hold), object metadata, media
 * download of a given generation, and listing by prefix with pages. Objects
 * live in memory; each write gets a new, increasing generation as in GCS.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';

interface StoredObject {
  data: Buffer;
  generation: number;
  contentType: string;
  updated: string;
}

export interface GcsTestServer {
  endpoint: string;
  objects: Map<string, StoredObject>;
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

function resource(bucket: string, name: string, o: StoredObject) {
  return {
    kind: 'storage#object',
    id: `${bucket}/${name}/${o.generation}`,
    name,
    bucket,
    generation: String(o.generation),
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.data.byteLength),
    md5Hash: createHash('md5').update(o.data).digest('base64'),
    crc32c: crc32c(o.data),
    updated: o.updated,
  };
}

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
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

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startGcsServer(bucketName: string): Promise<GcsTestServer> {
  const objects = new Map<string, StoredObject>();
  let lastGeneration = Date.now() * 1000;
  const state = { preconditionFailures: 0 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url!, 'http://localhost');
    const q = url.searchParams;
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const bucket = decodeURIComponent((upload ?? object ?? list)?.[1] ?? '');
    if (bucket !== bucketName)
      return error(res, 404, 'The specified bucket does not exist.', 'notFound');

    if (upload && req.method === 'POST') {
      if (q.get('uploadType') !== 'multipart')
        return error(res, 400, 'only multipart uploads are served here', 'invalid');
      const [meta, media] = multipart(await readBody(req), req.headers['content-type'] ?? '');
      const metadata = JSON.parse(meta!.toString('utf8')) as {
        name?: string;
        contentType?: string;
      };
      const name = q.get('name') ?? metadata.name;
      if (!name || !media) return error(res, 400, 'missing name or media', 'invalid');
      const match = q.get('ifGenerationMatch');
      const current = objects.get(name);
      if (match !== null && String(current?.generation ?? 0) !== match) {
        state.preconditionFailures++;
        return error(
          res,
          412,
          'At least one of the pre-conditions you specified did not hold.',
          'conditionNotMet',
        );
      }
      const stored = {
        data: Buffer.from(media),
        generation: ++lastGeneration,
        contentType: metadata.contentType ?? 'application/octet-stream',
        updated: new Date().toISOString(),
      };
      objects.set(name, stored);
      return send(res, 200, resource(bucket, name, stored));
    }

    if (object && req.method === 'GET') {
      const name = decodeURIComponent(object[2]!);
      const stored = objects.get(name);
      const generation = q.get('generation');
      if (!stored || (generation !== null && String(stored.generation) !== generation))
        return error(res, 404, `No such object: ${bucket}/${name}`, 'notFound');
      if (q.get('alt') !== 'media') return send(res, 200, resource(bucket, name, stored));
      const r = resource(bucket, name, stored);
      res.writeHead(200, {
        'content-type': stored.contentType,
        'content-length': stored.data.byteLength,
        'x-goog-generation': r.generation,
        'x-goog-hash': `crc32c=${r.crc32c},md5=${r.md5Hash}`,
        'x-goog-stored-content-encoding': 'identity',
      });
      res.end(stored.data);
      return;
    }

    if (list && req.method === 'GET') {
      const prefix = q.get('prefix') ?? '';
      const pageSize = Number(q.get('maxResults') ?? 1000);
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const from = q.get('pageToken') ? names.indexOf(q.get('pageToken')!) : 0;
      const page = names.slice(from, from + pageSize);
      const next = names[from + pageSize];
      return send(res, 200, {
        kind: 'storage#objects',
        items: page.map((n) => resource(bucket, n, objects.get(n)!)),
        ...(next ? { nextPageToken: next } : {}),
      });
    }
    error(res, 405, `${req.method} ${url.pathname} is not served here`, 'invalid');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => error(res, 500, String(e), 'backendError'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    get preconditionFailures() {
      return state.preconditionFailures;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
