/**
 * Secrets are read from files, never from the command line (where `ps` and the
 * shell's history show them): the server's bearer token, the alert receiver's,
 * and the GitHub token that requests a data refresh.
 */
import { readFile, stat } from 'node:fs/promises';
import { PipelineError } from '../errors.js';

/**
 * A token with a line end or spaces in it could never match what a client sends
 * after "Bearer ", and every request would be refused: trim it, refuse the rest.
 */
export function oneToken(text: string, source: string, hint?: string): string {
  const token = text.trim();
  if (!token) throw new PipelineError('usage', `${source}: is empty`, { hint });
  if (/\s/.test(token))
    throw new PipelineError('usage', `${source}: expected one token on one line`);
  return token;
}

/**
 * The token in `file`, named `source` in messages. `private`: refuse a file
 * other users can read, as ssh refuses a private key (mode 0600 or 0400).
 * `emptyHint`: what to do about an empty file.
 */
export async function readTokenFile(
  file: string,
  source: string,
  options: { private?: boolean; emptyHint?: string } = {},
): Promise<string> {
  let text: string;
  try {
    if (options.private) {
      const mode = (await stat(file)).mode & 0o777;
      if (mode & 0o077)
        throw new PipelineError(
          'usage',
          `${source}: other users can read it (mode ${mode.toString(8).padStart(4, '0')})`,
          { hint: `chmod 600 ${file}` },
        );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    throw new PipelineError(
      'usage',
      `${source}: cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  return oneToken(text, source, options.emptyHint);
}
