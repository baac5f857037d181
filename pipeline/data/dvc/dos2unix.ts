/**
 * The two ways DVC hashes a file. DVC 3 records `hash: md5`: the md5 of the
 * bytes. An out without `hash:` was written by DVC 2 and is hashed as
 * `md5-dos2unix`: a text file's CRLF line ends are read as LF first, a binary
 * file is hashed as it is. DVC 3 keeps reading those outs this way (dvc-data's
 * `Dos2UnixHashStreamFile`), so we do too.
 *
 * Written by hand: the rule is DVC's own heuristic, which no library carries.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type HashKind = 'md5' | 'md5-dos2unix';

/** DVC reads a file in blocks of this size and decides for each block whether it is text. */
const BLOCK = 2 ** 20;
/** How much of a block the text test looks at. */
const SNIFF = 512;
const CRLF = Buffer.from('\r\n');

const TEXT_CHARS = new Uint8Array(256);
for (let c = 32; c < 127; c++) TEXT_CHARS[c] = 1;
for (const c of [0x0a, 0x0d, 0x09, 0x0c, 0x08]) TEXT_CHARS[c] = 1;

/**
 * DVC's text test (dvc-data `istextblock`): empty is text, a NUL byte is
 * binary, else text when at most 30% of the bytes are outside printable ASCII
 * and \n \r \t \f \b.
 */
export function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nontext = 0;
  for (const byte of block) {
    if (byte === 0) return false;
    if (!TEXT_CHARS[byte]) nontext++;
  }
  return nontext / block.length <= 0.3;
}

/** CRLF to LF; a lone CR stays. */
function dos2unix(block: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = block.indexOf(CRLF); at !== -1; at = block.indexOf(CRLF, at + 2)) {
    parts.push(block.subarray(from, at));
    from = at + 1;
  }
  if (!parts.length) return block;
  parts.push(block.subarray(from));
  return Buffer.concat(parts);
}

export interface ContentHasher {
  update(chunk: Uint8Array): void;
  /** The hex digest; the hasher cannot be used after. */
  digest(): string;
}

/**
 * An incremental hasher for `kind`. For md5-dos2unix the bytes are cut into
 * DVC's 1 MiB blocks whatever the chunks they arrive in, each block tested and
 * converted on its own (a CRLF split across two blocks stays, as in DVC).
 */
export function contentHasher(kind: HashKind): ContentHasher {
  const md5: Hash = createHash('md5');
  if (kind === 'md5')
    return {
      update: (chunk) => void md5.update(chunk),
      digest: () => md5.digest('hex'),
    };
  let pending: Buffer[] = [];
  let pendingLength = 0;
  const block = (bytes: Buffer) =>
    void md5.update(isTextBlock(bytes.subarray(0, SNIFF)) ? dos2unix(bytes) : bytes);
  return {
    update(chunk) {
      pending.push(Buffer.from(chunk));
      pendingLength += chunk.length;
      if (pendingLength < BLOCK) return;
      let all = Buffer.concat(pending, pendingLength);
      while (all.length >= BLOCK) {
        block(all.subarray(0, BLOCK));
        all = all.subarray(BLOCK);
      }
      pending = [all];
      pendingLength = all.length;
    },
    digest() {
      if (pendingLength) block(Buffer.concat(pending, pendingLength));
      return md5.digest('hex');
    },
  };
}

/** The hash DVC records for a file's content under `kind`, streamed. */
export async function hashFile(path: string, kind: HashKind): Promise<string> {
  const hasher = contentHasher(kind);
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/** The hash of bytes in memory under `kind`. */
export function hashBytes(bytes: Uint8Array, kind: HashKind): string {
  const hasher = contentHasher(kind);
  hasher.update(bytes);
  return hasher.digest();
}
