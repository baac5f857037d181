/**
 * `mlops monitor dispatch`: the receiver of Alertmanager's webhook that closes
 * the loop. A drift or live-accuracy alert becomes one `repository_dispatch`
 * (`drift-alert`) to the repository, at most once per window, which starts the
 * data-refresh workflow with the alerts as evidence. This shell reads the two
 * tokens from files, remembers the last request in a state file, listens, and
 * stops on SIGTERM or SIGINT.
 */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PipelineError } from '../../errors.js';
import { createAlertReceiver } from '../../serve/alert-receiver.js';
import { writeFileAtomic } from '../../util/files.js';
import { say } from '../common.js';
import { DISPATCH_EVENT, sendRepositoryDispatch } from '../github-dispatch.js';
import { integer } from '../integer-option.js';
import { readTokenFile } from '../secret-file.js';

interface DispatchOptions {
  repo: string;
  githubTokenFile?: string;
  tokenFile?: string;
  apiUrl: string;
  host: string;
  port: number;
  window: number;
  stateFile?: string;
  logLevel: string;
}

const StateSchema = z.object({ last_sent: z.iso.datetime() });

async function readState(file: string | undefined): Promise<Date | undefined> {
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipelineError(
      'usage',
      `--state-file ${file}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const state = StateSchema.safeParse(parsed);
  if (!state.success)
    throw new PipelineError('usage', `--state-file ${file}: expected {"last_sent": "<ISO time>"}`, {
      hint: 'Delete it to forget the last request (the next alert then sends one).',
    });
  return new Date(state.data.last_sent);
}

/** The token travels to --api-url: over HTTPS, or plain HTTP to this machine only. */
function checkApiUrl(text: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const local = ['127.0.0.1', 'localhost', '[::1]'].includes(url?.hostname ?? '');
  if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && local)))
    throw new PipelineError(
      'usage',
      `--api-url ${text}: expected an https:// URL (the GitHub token is sent to it)`,
    );
}

/** The value of an option, else of its environment variable, else a usage error naming both. */
function required(value: string | undefined, option: string, env: string): string {
  const found = value ?? process.env[env];
  if (!found)
    throw new PipelineError('usage', `${option} is required (or set ${env})`, {
      hint: 'See docs/monitoring.md#closing-the-loop for the token and its permission.',
    });
  return found;
}

function registerDispatch(monitor: Command): void {
  monitor
    .command('dispatch')
    .description(
      `receive Alertmanager's webhook (POST /v1/alerts) and request a data refresh through GitHub (repository_dispatch "${DISPATCH_EVENT}"), at most once per window`,
    )
    .requiredOption('--repo <owner/name>', 'the repository whose data-refresh workflow runs')
    .option(
      '--github-token-file <file>',
      'file holding a fine-grained token with "Contents: write" on --repo, mode 0600 (default: $MLOPS_DISPATCH_TOKEN_FILE)',
    )
    .option(
      '--token-file <file>',
      'file holding the bearer token Alertmanager sends (default: $MLOPS_ALERTS_TOKEN_FILE)',
    )
    .option('--api-url <url>', 'GitHub API', 'https://api.github.com')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '-p, --port <port>',
      'port to listen on (0: any free one)',
      integer('--port', 0, 65535),
      9095,
    )
    .option(
      '--window <seconds>',
      'at most one refresh request per this many seconds',
      integer('--window', 60, 30 * 24 * 3600),
      24 * 3600,
    )
    .option(
      '--state-file <file>',
      'remember the last request here, so a restart does not send another within the window',
    )
    .addOption(
      new Option('--log-level <level>', 'log level (JSON lines on stdout)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'silent'])
        .default('info'),
    )
    .action(async (opts: DispatchOptions) => {
      if (!/^[\w.-]+\/[\w.-]+$/.test(opts.repo))
        throw new PipelineError('usage', `--repo ${opts.repo}: expected owner/name`);
      checkApiUrl(opts.apiUrl);
      const githubTokenFile = required(
        opts.githubTokenFile,
        '--github-token-file',
        'MLOPS_DISPATCH_TOKEN_FILE',
      );
      const tokenFile = required(opts.tokenFile, '--token-file', 'MLOPS_ALERTS_TOKEN_FILE');
      const target = {
        apiUrl: opts.apiUrl,
        repo: opts.repo,
        token: await readTokenFile(githubTokenFile, `--github-token-file ${githubTokenFile}`, {
          private: true,
        }),
      };
      const token = await readTokenFile(tokenFile, `--token-file ${tokenFile}`);
      const lastSent = await readState(opts.stateFile);
      const receiver = await createAlertReceiver({
        token,
        windowSeconds: opts.window,
        lastSent,
        send: (request) => sendRepositoryDispatch(target, request),
        sent: async (at, request) => {
          say(
            'dispatch',
            `requested a data refresh on ${opts.repo} (${request.reason}: ${request.alerts
              .map((a) => a.feature ?? a.name)
              .join(', ')})`,
          );
          if (opts.stateFile)
            await writeFileAtomic(
              opts.stateFile,
              `${JSON.stringify({ last_sent: at.toISOString() })}\n`,
            );
        },
        logger: { level: opts.logLevel },
      });
      const address = await receiver.listen(opts.host, opts.port).catch(async (error: Error) => {
        await receiver.close();
        throw new PipelineError(
          'usage',
          `cannot listen on ${opts.host}:${opts.port} (${(error as NodeJS.ErrnoException).code ?? error.message})`,
        );
      });
      say(
        'dispatch',
        `listening on ${address} (POST /v1/alerts); refresh requests go to ${opts.repo} at most once per ${opts.window} s${lastSent ? `, last one ${lastSent.toISOString()}` : ''}`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          say('dispatch', `${signal}: stopping`);
          receiver.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}

export function registerMonitorCommands(program: Command): void {
  registerDispatch(
    program
      .command('monitor')
      .description('close the monitoring loop: live alerts request a data refresh'),
  );
}
