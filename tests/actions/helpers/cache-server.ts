/**
 * The Actions cache service as @actions/cache 6 speaks to it on github.com
 * (protocol v2): Twirp JSON calls on ACTIONS_RESULTS_URL to reserve, finalize and
 * look up entries, and the archive itself PUT and GET on a signed URL (Azure
 * Blob's Put Blob, which the client's storage SDK sends). Blobs live in a
 * temporary folder. Lookup is GitHub's: the exact key, then each restore key as
 * a prefix, newest entry first, and always for the same version (paths and
 * compression).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';

interface Entry {
  id: number;
  key: string;
  version: string;
  finalized: boolean;
  uploaded: boolean;
  created: number;
}

export interface CacheServer {
  /** Environment the runner gives a job so @actions/cache talks to this server. */
  env: Record<string, string>;
  entries(): { key: string; finalized: boolean }[];
  calls: string[];
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startCacheServer(): Promise<CacheServer> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-cache-'));
  const token = `runtime-${randomBytes(8).toString('hex')}`;
  const entries: Entry[] = [];
  const calls: string[] = [];
  let base = '';
  let clock = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const blobUrl = (e: Entry) => `${base}/blobs/${e.id}?sig=${token.slice(-6)}`;

  const twirp = async (method: string, req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(res, 401, { code: 'unauthenticated', msg: 'bad runtime token' });
    const body = JSON.parse((await readAll(req)).toString('utf8')) as {
      key: string;
      version: string;
      restore_keys?: string[];
    };
    calls.push(`${method} ${body.key}`);
    switch (method) {
      case 'CreateCacheEntry': {
        if (entries.some((e) => e.key === body.key && e.version === body.version))
          return json(res, 200, { ok: false, message: `cache entry ${body.key} already exists` });
        const entry: Entry = {
          id: entries.length + 1,
          key: body.key,
          version: body.version,
          finalized: false,
          uploaded: false,
          created: clock++,
        };
        entries.push(entry);
        return json(res, 200, { ok: true, signed_upload_url: blobUrl(entry) });
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find(
          (e) => e.key === body.key && e.version === body.version && !e.finalized,
        );
        if (!entry?.uploaded)
          return json(res, 200, { ok: false, message: 'nothing uploaded for this entry' });
        entry.finalized = true;
        return json(res, 200, { ok: true, entry_id: String(entry.id) });
      }
      case 'GetCacheEntryDownloadURL': {
        const usable = entries
          .filter((e) => e.finalized && e.version === body.version)
          .sort((a, b) => b.created - a.created);
        const match =
          usable.find((e) => e.key === body.key) ??
          (body.restore_keys ?? [])
            .map((k) => usable.find((e) => e.key.startsWith(k)))
            .find(Boolean);
        if (!match) return json(res, 200, { ok: false });
        return json(res, 200, {
          ok: true,
          signed_download_url: blobUrl(match),
          matched_key: match.key,
        });
      }
      default:
        return json(res, 404, { code: 'bad_route', msg: `no method ${method}` });
    }
  };

  const blob = async (id: number, req: IncomingMessage, res: ServerResponse) => {
    const entry = entries.find((e) => e.id === id);
    if (!entry) return json(res, 404, {});
    const path = join(dir, `${id}.blob`);
    if (req.method === 'PUT') {
      // Put Blob: the whole archive in one request (the SDK's single-shot upload).
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob')
        return json(res, 400, { error: 'x-ms-blob-type must be BlockBlob' });
      await writeFile(path, await readAll(req));
      entry.uploaded = true;
      res.writeHead(201, {
        etag: `"0x${id.toString(16)}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-id': randomBytes(8).toString('hex'),
        'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-01-05'),
        'x-ms-request-server-encrypted': 'true',
      });
      return res.end();
    }
    if (req.method === 'GET' && entry.finalized) {
      const data = await readFile(path);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(data.length),
      });
      return res.end(data);
    }
    return json(res, 405, {});
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const run = url.pathname.startsWith(SERVICE)
      ? twirp(url.pathname.slice(SERVICE.length), req, res)
      : url.pathname.startsWith('/blobs/')
        ? blob(Number(url.pathname.split('/')[2]), req, res)
        : Promise.resolve(json(res, 404, {}));
    run.catch((error: unknown) => json(res, 500, { msg: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: {
      ACTIONS_CACHE_SERVICE_V2: 'true',
      ACTIONS_RESULTS_URL: `${base}/`,
      ACTIONS_RUNTIME_TOKEN: token,
    },
    entries: () => entries.map((e) => ({ key: e.key, finalized: e.finalized })),
    calls,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
