/**
 * `mlops serve`: the prediction server over HTTP. This shell reads the token
 * (--token-file, else MLOPS_API_TOKEN), listens, and maps signals: SIGTERM and
 * SIGINT finish the requests in flight and exit, SIGHUP reloads the model.
 */
import { Option, type Command } from 'commander';
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
import { integer } from '../integer-option.js';
import { oneToken, readTokenFile } from '../secret-file.js';

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

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'Another process holds that port; pick another with --port (0: any free one).',
  EADDRNOTAVAIL: 'Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).',
  ENOTFOUND: 'Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).',
  EACCES: 'Ports below 1024 need privileges; use a higher --port behind a proxy.',
};

const EMPTY_HINT =
  'Put the token in it, or unset it (no --token-file, no MLOPS_API_TOKEN) to serve without one.';

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (file) return readTokenFile(file, `--token-file ${file}`, { emptyHint: EMPTY_HINT });
  const fromEnv = process.env.MLOPS_API_TOKEN;
  // Set but empty is a mistake (an env file with `MLOPS_API_TOKEN=`), not a
  // request to serve without a token: that is leaving it unset.
  return fromEnv === undefined ? undefined : oneToken(fromEnv, 'MLOPS_API_TOKEN', EMPTY_HINT);
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
