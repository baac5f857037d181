/**
 * `mlops serve`: the prediction server over HTTP. This shell reads the token
 * (--token-file, else MLOPS_API_TOKEN), listens, and maps signals: SIGTERM and
 * SIGINT finish the requests in flight and exit, SIGHUP reloads the model.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { PipelineError } from '../../errors.js';
import {
  defaultMaxConnections,
  HEADERS_TIMEOUT_DEFAULT,
  KEEP_ALIVE_TIMEOUT_DEFAULT,
  REQUEST_TIMEOUT_DEFAULT,
} from '../../serve/connections.js';
import { BODY_LIMIT_DEFAULT, createPredictionServer } from '../../serve/server.js';
import { MAX_ROWS_DEFAULT } from '../../serve/schemas.js';
import { initBackend, type BackendName } from '../../train/backend.js';
import { backendOption, say, show } from '../common.js';

interface ServeOptions {
  model: string;
  host: string;
  port: number;
  tokenFile?: string;
  bodyLimit: number;
  maxRows: number;
  maxConnections?: number;
  headersTimeout?: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  backend?: BackendName;
  logLevel: string;
  monitoring: boolean;
  monitoringWindow: number;
}

const integer =
  (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new PipelineError(
        'usage',
        `${name} ${value}: expected an integer from ${min} to ${max}`,
      );
    return n;
  };

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'Another process holds that port; pick another with --port (0: any free one).',
  EADDRNOTAVAIL: 'Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).',
  ENOTFOUND: 'Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).',
  EACCES: 'Ports below 1024 need privileges; use a higher --port behind a proxy.',
};

/**
 * A token with a line end or spaces in it could never match what a client sends
 * after "Bearer ", and every predict would be refused: trim it, refuse the rest.
 */
function oneToken(text: string, source: string): string {
  const token = text.trim();
  // Set but empty is a mistake (an env file with `MLOPS_API_TOKEN=`), not a
  // request to serve without a token: that is leaving it unset.
  if (!token)
    throw new PipelineError('usage', `${source}: is empty`, {
      hint: 'Put the token in it, or unset it (no --token-file, no MLOPS_API_TOKEN) to serve without one.',
    });
  if (/\s/.test(token))
    throw new PipelineError('usage', `${source}: expected one token on one line`);
  return token;
}

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) {
    const fromEnv = process.env.MLOPS_API_TOKEN;
    return fromEnv === undefined ? undefined : oneToken(fromEnv, 'MLOPS_API_TOKEN');
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'usage',
      `--token-file ${file}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return oneToken(text, `--token-file ${file}`);
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve predictions over HTTP (POST /v1/predict), with /metrics and /docs')
    .option('-m, --model <dir>', 'model folder', 'artifacts/model')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '-p, --port <port>',
      'port to listen on (0: any free one)',
      integer('--port', 0, 65535),
      8000,
    )
    .option(
      '--token-file <file>',
      'require this bearer token on predict (default: $MLOPS_API_TOKEN)',
    )
    .option(
      '--body-limit <bytes>',
      'largest request body',
      integer('--body-limit', 1),
      BODY_LIMIT_DEFAULT,
    )
    .option(
      '--max-rows <n>',
      'most rows in one request',
      integer('--max-rows', 1),
      MAX_ROWS_DEFAULT,
    )
    .option(
      '--max-connections <n>',
      'most connections open at once (default: 1000, or the open-file limit less 64 when lower)',
      integer('--max-connections', 1),
    )
    .option(
      '--headers-timeout <seconds>',
      `time a client has to send the request headers (default: ${HEADERS_TIMEOUT_DEFAULT / 1000}, or the request timeout when shorter)`,
      integer('--headers-timeout', 1, 3600),
    )
    .option(
      '--request-timeout <seconds>',
      'time a client has to send the whole request, body included',
      integer('--request-timeout', 1, 3600),
      REQUEST_TIMEOUT_DEFAULT / 1000,
    )
    .option(
      '--keep-alive-timeout <seconds>',
      'how long an idle keep-alive connection is kept open',
      integer('--keep-alive-timeout', 1, 3600),
      KEEP_ALIVE_TIMEOUT_DEFAULT / 1000,
    )
    .option(
      '--monitoring-window <seconds>',
      'the sliding window of live drift and feedback (GET /v1/monitoring)',
      integer('--monitoring-window', 60, 7 * 24 * 3600),
      3600,
    )
    .option('--no-monitoring', 'keep no live window: no drift or live accuracy, no /v1/feedback')
    .addOption(backendOption())
    .addOption(
      new Option('--log-level <level>', 'server log level (JSON lines on stdout)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
        .default('info'),
    )
    .action(async (opts: ServeOptions) => {
      if (opts.headersTimeout !== undefined && opts.headersTimeout > opts.requestTimeout)
        throw new PipelineError(
          'usage',
          `--headers-timeout ${opts.headersTimeout}: longer than --request-timeout ${opts.requestTimeout}; the headers are part of the request`,
        );
      const token = await readToken(opts.tokenFile);
      const server = await createPredictionServer({
        backend: opts.backend,
        modelDir: opts.model,
        token,
        bodyLimit: opts.bodyLimit,
        maxRows: opts.maxRows,
        maxConnections: opts.maxConnections ?? defaultMaxConnections(),
        headersTimeout: Math.min(
          (opts.headersTimeout ?? HEADERS_TIMEOUT_DEFAULT / 1000) * 1000,
          opts.requestTimeout * 1000,
        ),
        requestTimeout: opts.requestTimeout * 1000,
        keepAliveTimeout: opts.keepAliveTimeout * 1000,
        logger: { level: opts.logLevel },
        monitoring: opts.monitoring && { windowSeconds: opts.monitoringWindow },
      });
      const backend = await initBackend(opts.backend);
      const address = await server
        .listen(opts.host, opts.port)
        .catch(async (error: NodeJS.ErrnoException) => {
          // A port in use or an address not on this machine is the user's to fix.
          await server.close();
          throw new PipelineError(
            'usage',
            `cannot listen on ${opts.host}:${opts.port} (${error.code ?? error.message})`,
            { hint: LISTEN_HINTS[error.code ?? ''], cause: error },
          );
        });
      const model = server.slot.current;
      say(
        'serve',
        `${model ? `model ${model.version}` : `no model yet (${server.slot.error})`} from ${show(opts.model)} on ${address} (backend ${backend}${token ? ', bearer token required' : ''}); docs at ${address}/docs`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          say('serve', `${signal}: finishing requests in flight, then stopping`);
          process.off('SIGHUP', hangup);
          server.close().then(resolve, resolve);
        };
        const hangup = () => {
          void server
            .reload()
            .then((r) =>
              say(
                'serve',
                r.ok
                  ? `reloaded: model ${r.version} (was ${r.previous ?? 'none'})`
                  : `reload failed, still serving ${r.version ?? 'no model'}: ${r.error}`,
              ),
            );
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', hangup);
      });
    });
}
