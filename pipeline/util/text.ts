/** Text taken from a request or a file, made safe to put in a message. */

/** Characters of an echoed name or value kept in a message. */
const CLIP_LENGTH = 64;

/**
 * `text` cut to `max` characters with "…" after it, so a message never echoes
 * a 100 KB field name back. The cut never splits a surrogate pair.
 */
export function clip(text: string, max = CLIP_LENGTH): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}
