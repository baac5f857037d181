/**
 * `.dvc/config` and `.dvc/config.local` (configobj INI): the default remote
 * (`[core] remote`), each `['remote "NAME"']` with its url, and `[cache] dir`.
 * The local file wins, as in DVC. Relative local paths are relative to `.dvc/`.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'ini';
import { PipelineError } from '../../errors.js';

export interface RemoteConfig {
  name: string;
  /** gs://bucket/path, or an absolute local folder. */
  url: string;
  /** Other keys of the section (credentialpath, endpointurl …), as written. */
  options: Record<string, string>;
}

export interface DvcConfig {
  defaultRemote?: string;
  remotes: Map<string, RemoteConfig>;
  /** Absolute path of the cache folder. */
  cacheDir: string;
}

async function readIni(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new PipelineError(
      'data',
      `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new PipelineError(
      'data',
      `${path}: not a valid DVC config (${(error as Error).message})`,
    );
  }
}

/** `'remote "name"'` or `remote "name"` → name. */
function remoteName(section: string): string | undefined {
  const m = /^'?remote\s+"([^"]+)"'?$/.exec(section.trim());
  return m?.[1];
}

function resolveUrl(url: string, dvcDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return isAbsolute(url) ? url : resolve(dvcDir, url);
}

export async function readDvcConfig(root: string): Promise<DvcConfig> {
  const dvcDir = join(root, '.dvc');
  const merged: Record<string, Record<string, string>> = {};
  for (const file of ['config', 'config.local']) {
    const parsed = await readIni(join(dvcDir, file));
    for (const [section, values] of Object.entries(parsed)) {
      if (!values || typeof values !== 'object') continue;
      merged[section] = { ...merged[section], ...(values as Record<string, string>) };
    }
  }
  const remotes = new Map<string, RemoteConfig>();
  for (const [section, values] of Object.entries(merged)) {
    const name = remoteName(section);
    if (!name) continue;
    const { url, ...options } = values;
    if (!url)
      throw new PipelineError('data', `${join(dvcDir, 'config')}: remote "${name}" has no url`, {
        hint: `Set it with \`dvc remote add ${name} URL\` or write url = … under ['remote "${name}"'].`,
      });
    remotes.set(name, { name, url: resolveUrl(String(url), dvcDir), options });
  }
  const core = merged['core'] ?? {};
  const cache = merged['cache'] ?? {};
  return {
    defaultRemote: core['remote'] ? String(core['remote']) : undefined,
    remotes,
    cacheDir: cache['dir'] ? resolveUrl(String(cache['dir']), dvcDir) : join(dvcDir, 'cache'),
  };
}

/** The remote named `name`, or the default one; an error naming what is configured otherwise. */
export function pickRemote(config: DvcConfig, name?: string): RemoteConfig {
  const wanted = name ?? config.defaultRemote;
  const known = [...config.remotes.keys()];
  if (!wanted)
    throw new PipelineError('remote', 'no DVC remote is set: .dvc/config has no [core] remote', {
      hint: known.length
        ? `Pick one with --remote (${known.join(', ')}) or run \`dvc remote default NAME\`.`
        : 'Add one: `dvc remote add -d storage gs://bucket/path` (or a local folder).',
    });
  const remote = config.remotes.get(wanted);
  if (!remote)
    throw new PipelineError('remote', `DVC remote "${wanted}" is not in .dvc/config`, {
      hint: known.length ? `Configured remotes: ${known.join(', ')}.` : 'No remote is configured.',
    });
  return remote;
}
