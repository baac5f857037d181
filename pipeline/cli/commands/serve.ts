/**
 * `mlops serve`: the prediction server over HTTP. This shell reads the token
 * (--token-file, else MLOPS_API_TOKEN), listens, and maps signals: SIGTERM and
 * SIGINT finish the requests in flight and exit, SIGHUP reloads the model.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { PipelineError } from '../../errors.js';
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
  backend?: BackendName;
  logLevel: string;
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
  if (!token || /\s/.test(token))
    throw new PipelineError('usage', `${source}: expected one token on one line`);
  return token;
}

async function readToken(file: string | undefined): Promise<string | undefined> {
  if (!file) {
    const fromEnv = process.env.MLOPS_API_TOKEN;
    return fromEnv ? oneToken(fromEnv, 'MLOPS_API_TOKEN') : undefined;
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
    .addOption(backendOption())
    .addOption(
      new Option('--log-level <level>', 'server log level (JSON lines on stdout)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
        .default('info'),
    )
    .action(async (opts: ServeOptions) => {
      const token = await readToken(opts.tokenFile);
      const server = await createPredictionServer({
        backend: opts.backend,
        modelDir: opts.model,
        token,
        bodyLimit: opts.bodyLimit,
        maxRows: opts.maxRows,
        logger: { level: opts.logLevel },
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
