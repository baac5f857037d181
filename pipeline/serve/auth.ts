/** Bearer-token check for the predict and admin routes. */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

export type AuthOutcome = 'ok' | 'missing' | 'invalid';

/**
 * Compares digests with timingSafeEqual, so neither the token's bytes nor its
 * length leak through how long a wrong guess takes.
 */
export function bearerChecker(token: string): (header: string | undefined) => AuthOutcome {
  const expected = digest(token);
  return (header) => {
    if (!header) return 'missing';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) return 'invalid';
    return timingSafeEqual(digest(match[1]!), expected) ? 'ok' : 'invalid';
  };
}
