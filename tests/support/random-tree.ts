/**
 * Seeded random data trees for the property tests that check `mlops data`
 * against the real `dvc`: nested folders, empty files and empty folders, names
 * that have tripped tools before, and files from empty to a few megabytes.
 * The same seed always gives the same tree, so a failing one can be rebuilt.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import seedrandom from 'seedrandom';

/**
 * Spaces, accents in both Unicode forms (NFC "é" is one code point, NFD is "e"
 * and a combining accent: two different names to DVC), CJK, an emoji (a UTF-16
 * surrogate pair, which sorts after U+FFxx by code point but before it by
 * UTF-16 unit), full-width letters, dots, dashes, quotes, brackets, a
 * backslash, and names that are a prefix of others ("a" and "a-1" sort
 * differently as path strings and as path parts).
 */
const TRICKY_NAMES = [
  'a',
  'a b',
  'b c',
  'na\u00efve',
  'nai\u0308ve',
  '\u00e9',
  'e\u0301',
  '数据',
  '🙂 x',
  '\uff46\uff55\uff4c\uff4c',
  'x.csv',
  '.hidden',
  'Z-1',
  'long_name_0123456789',
  "it's",
  'q"uote',
  '[x]',
  '#hash',
  'back\\slash',
  '-dash',
] as const;

export interface RandomTree {
  /** `/`-separated path → bytes. */
  files: Map<string, Buffer>;
  /** Folders with nothing in them, `/`-separated. */
  emptyDirs: string[];
}

type Rng = seedrandom.PRNG;

/** `size` seeded bytes; four at a time, so megabytes take milliseconds. */
export function randomBytes(rng: Rng, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let i = 0;
  for (; i + 4 <= size; i += 4) bytes.writeInt32LE(rng.int32(), i);
  for (; i < size; i++) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

/** A small file: empty, text with LF or CRLF endings (DVC 3 hashes raw bytes), or binary. */
export function smallFile(rng: Rng): Buffer {
  const kind = rng();
  if (kind < 0.15) return Buffer.alloc(0);
  if (kind < 0.45) {
    const eol = rng() < 0.5 ? '\n' : '\r\n';
    const lines = Array.from({ length: 1 + Math.floor(rng() * 8) }, (_, i) => `${i},${rng()}`);
    return Buffer.from(lines.join(eol) + (rng() < 0.8 ? eol : ''));
  }
  if (kind < 0.85) return randomBytes(rng, 1 + Math.floor(rng() * 300));
  return randomBytes(rng, 1_000 + Math.floor(rng() * 64_000));
}

function conflicts(paths: Iterable<string>, files: Map<string, Buffer>, path: string): boolean {
  for (const p of paths) if (p === path || (files.has(p) && path.startsWith(`${p}/`))) return true;
  // A new file may not sit where a folder already is.
  return [...paths].some((p) => p.startsWith(`${path}/`));
}

/**
 * A tree of up to `maxEntries` files and empty folders, up to four folders
 * deep, with one file of `largeBytes` when that is given.
 */
export function randomTree(seed: string, maxEntries = 12, largeBytes = 0): RandomTree {
  const rng = seedrandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const files = new Map<string, Buffer>();
  const emptyDirs: string[] = [];
  const count = Math.floor(rng() * (maxEntries + 1));
  for (let i = 0; i < count + (largeBytes ? 1 : 0); i++) {
    const depth = Math.floor(rng() * 5);
    const parts = Array.from({ length: depth }, () => pick(TRICKY_NAMES));
    // Bare names make siblings like "a" and "a b"; numbered ones keep most paths apart.
    const leaf = rng() < 0.4 ? pick(TRICKY_NAMES) : `${pick(TRICKY_NAMES)}-${i}`;
    const path = [...parts, leaf].join('/');
    const taken = [...files.keys(), ...emptyDirs];
    if (conflicts(taken, files, path)) continue;
    if (i === count) files.set(path, randomBytes(rng, largeBytes));
    else if (rng() < 0.1) emptyDirs.push(path);
    else files.set(path, smallFile(rng));
  }
  // A folder that got a file after it was chosen to be empty is not empty.
  return {
    files,
    emptyDirs: emptyDirs.filter((d) => ![...files.keys()].some((f) => f.startsWith(`${d}/`))),
  };
}

/** Write `tree` under `root` (created, even when the tree has nothing in it). */
export async function writeRandomTree(root: string, tree: RandomTree): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const dir of tree.emptyDirs) await mkdir(join(root, dir), { recursive: true });
  for (const [path, bytes] of tree.files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), bytes);
  }
}
