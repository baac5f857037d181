/** Key paths as users write them: `model.layers[1]`, `gates["recall.Adelie"].min`. */
export type KeyPath = (string | number)[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && PLAIN_KEY.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(top level)';
}

/** Parse `a.b[1].c` or `gates["recall.Adelie"].min`; returns undefined when malformed. */
export function parseKeyPath(text: string): KeyPath | undefined {
  const path: KeyPath = [];
  const token = /\s*(?:\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])/y;
  let index = 0;
  while (index < text.length) {
    token.lastIndex = index;
    const match = token.exec(text);
    if (!match || (index === 0 && text.startsWith('.'))) return undefined;
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
    else path.push(JSON.parse(match[3]!) as string);
    index = token.lastIndex;
  }
  return path.length ? path : undefined;
}

export function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  // A key written as [3] is the number 3 here and the string "3" in a section's issue path.
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}
