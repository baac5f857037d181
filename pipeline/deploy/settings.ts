/**
 * What a deploy needs to know, as one zod schema: the hosts, where releases live
 * on them, how the service is reloaded and how readiness is checked. Secrets (the
 * private key) are not part of it: shells read them and hand them over apart.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { clip } from '../util/text.js';

/** Release names become directory names on the VM and words in shell commands. */
export const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** A directory on the VM: it is quoted into shell commands and must stay under its own root. */
export const remotePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._+/@-]*$/, {
    error: (issue) =>
      `${JSON.stringify(clip(String(issue.input)))}: expected an absolute path of letters, digits and ._+-@/ only`,
  })
  .refine((p) => !p.split('/').includes('..'), {
    error: (issue) => `${JSON.stringify(clip(String(issue.input)))}: expected a path without ..`,
  });

/**
 * For the systemd unit in deploy/: a reload (SIGHUP, the model swapped in place)
 * when only the model changed, a restart when the server did, the first release
 * included (a reload cannot start a stopped service).
 */
export const DEFAULT_SERVICE_COMMAND =
  'if [ "$MLOPS_SERVER_CHANGED" = 1 ]; then sudo systemctl restart mlops-serve; else sudo systemctl reload mlops-serve; fi';

/** A DNS label of letters, digits, hyphens (not at either end) and underscores, as resolvers accept them. */
const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/i;

/**
 * Label by label: the name's length and each label's rule read plainly, and no
 * pattern repeats a group that itself repeats (what backtracking regexes are made of).
 */
const isHostName = (h: string) => h.length <= 253 && h.split('.').every((l) => HOST_LABEL.test(l));

/** A refusal that quotes what was given, so each shell can put its own name for the setting in front. */
const refusing = (what: string) => (issue: { input: unknown }) =>
  `${JSON.stringify(clip(String(issue.input)))} ${what}`;

export const TargetSchema = z.strictObject({
  host: z.string().refine((h) => isIP(h) !== 0 || isHostName(h), {
    error: refusing('is not a host name or IP address'),
  }),
  port: z.int().min(1).max(65535).default(22),
  /** POSIX user names, with the dot and the trailing $ that Linux and Samba allow. */
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}\$?$/i, {
    error: refusing('is not a valid user name'),
  }),
  /** The release root on this host; the settings' base when omitted. */
  base: remotePath.optional(),
});

export const ReadinessSchema = z.strictObject({
  /** Polled through the SSH connection on the VM's loopback at this port… */
  port: z.int().min(1).max(65535).default(8080),
  path: z.string().startsWith('/').default('/readyz'),
  /** …or directly at this URL, when the deploying machine can reach the service. */
  url: z.url().optional(),
  /**
   * From the moment `current` moves: the service command and the wait for
   * readiness share it, and the command is stopped on the VM when it passes.
   */
  timeout_ms: z.int().positive().default(60_000),
  interval_ms: z.int().positive().default(500),
  /** How long one probe may take before it counts as not ready. */
  request_timeout_ms: z.int().positive().default(5_000),
});

export const DeploySettingsSchema = z.strictObject({
  targets: z.array(TargetSchema).min(1, { error: 'expected at least one host' }),
  base: remotePath.default('/srv/mlops'),
  /**
   * Run on the VM after `current` moves (and again after a rollback); it must make
   * the service pick up `current` without dropping requests. `$MLOPS_BASE`,
   * `$MLOPS_RELEASE` and `$MLOPS_RELEASE_DIR` are set for it.
   */
  service_command: z.string().min(1).default(DEFAULT_SERVICE_COMMAND),
  readiness: ReadinessSchema.default(ReadinessSchema.parse({})),
  /** Releases kept on each host, the live one included. */
  keep: z
    .int()
    .min(2, { error: 'expected at least 2 (the live release and one to roll back to)' })
    .default(5),
  /**
   * A lock whose heartbeat is older than this was left by a deploy that died
   * (a live deploy renews it every 15 s, or four times per this limit if shorter).
   */
  lock_stale_ms: z
    .int()
    .positive()
    .default(2 * 60_000),
  connect_timeout_ms: z.int().positive().default(20_000),
  /** The deadline of every other command run on the VM (lock, switch, link, prune); stopped there when it passes. */
  command_timeout_ms: z.int().positive().default(120_000),
});

export type Target = z.infer<typeof TargetSchema>;
export type Readiness = z.infer<typeof ReadinessSchema>;
export type DeploySettings = z.infer<typeof DeploySettingsSchema>;
export type DeploySettingsInput = z.input<typeof DeploySettingsSchema>;

/** What a shell calls a setting (`--base`, `input "base"`), given its key path. */
export type SettingName = (path: readonly PropertyKey[]) => string;

export const settingPath: SettingName = (path) => `deploy setting ${path.join('.')}`;

/**
 * Settings as a shell gathered them, checked by the one schema: the first
 * problem is a usage error that names the setting as the shell's user knows it.
 */
export function parseDeploySettings(
  input: DeploySettingsInput,
  name: SettingName = settingPath,
): DeploySettings {
  const parsed = DeploySettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new PipelineError('usage', `${name(issue.path)}: ${issue.message}`);
}

/** `user@host:port` as people write it, for messages. */
export function describeTarget(target: Target): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.user}@${host}${target.port === 22 ? '' : `:${target.port}`}`;
}

/** `user@host`, `user@host:port` or `user@[ipv6]:port`, as in ssh's own syntax. */
export function parseTargetSpec(spec: string): { host: string; port: number; user: string } {
  // Only the optional `:port` nests a repetition in an optional group: no two ways to match one text.
  // eslint-disable-next-line security/detect-unsafe-regex
  const match = /^([^@\s]+)@(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d+))?$/.exec(spec);
  if (!match)
    throw new PipelineError('usage', `--host ${spec}: expected user@host or user@host:port`);
  return { user: match[1]!, host: match[2] ?? match[3]!, port: match[4] ? Number(match[4]) : 22 };
}
