/**
 * md5-dos2unix, the hash of DVC 2 outs, against dvc-data's own `file_md5` in
 * the pinned DVC environment: text found per 1 MiB block by DVC's rule, CRLF
 * read as LF inside a text block only.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentHasher, hashFile, isTextBlock } from '../../pipeline/data/dvc/dos2unix.js';
import { dvcPython } from '../support/peers.js';

const MIB = 2 ** 20;
let dir: string;

/** What dvc-data computes for each file, in one Python run. */
async function dvcHashes(paths: string[]): Promise<string[]> {
  const script =
    'import sys\nfrom dvc_data.hashfile.hash import file_md5\n' +
    "for p in sys.argv[1:]: print(file_md5(p, name='md5-dos2unix'))\n";
  const { stdout } = await promisify(execFile)(dvcPython(), ['-c', script, ...paths]);
  return stdout.trim().split('\n');
}

const crlfText = (length: number) =>
  Buffer.from('ab,c\r\n'.repeat(Math.ceil(length / 6))).subarray(0, length);

const FILES: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'crlf text': Buffer.from('id,x\r\n1,2\r\n'),
  'lone cr and cr cr lf': Buffer.from('a\rb\r\r\nc\r\n'),
  'binary (NUL) with crlf': Buffer.from([65, 13, 10, 0, 13, 10]),
  // UTF-8 text that is more than 30% non-ASCII bytes: binary by DVC's rule.
  'mostly non-ascii': Buffer.from('ééééé\r\nü\r\n'),
  // 3 of 10 bytes outside text, 30% exactly: still text.
  'thirty percent': Buffer.concat([Buffer.from('abcde\r\n'), Buffer.from([200, 201, 202])]),
  // A CRLF split across DVC's 1 MiB blocks stays as it is.
  'crlf across blocks': Buffer.concat([crlfText(MIB - 1), Buffer.from('\r\nend\r\n')]),
  // A text first block and a binary second one: only the first is converted.
  'text then binary block': Buffer.concat([crlfText(MIB), Buffer.from([0, 13, 10, 1])]),
  // Binary within the first 512 bytes decides a block; later NULs do not.
  'nul after 512 bytes': Buffer.concat([crlfText(600), Buffer.from([0]), Buffer.from('\r\n')]),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dos2unix-'));
  for (const [name, bytes] of Object.entries(FILES)) await writeFile(join(dir, name), bytes);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('md5-dos2unix', () => {
  it('hashes every file as dvc-data does', async () => {
    const names = Object.keys(FILES);
    const expected = await dvcHashes(names.map((n) => join(dir, n)));
    // The reference converts: text with CRLF hashes as its LF form.
    expect(expected[names.indexOf('crlf text')]).toBe(
      createHash('md5').update('id,x\n1,2\n').digest('hex'),
    );
    const actual = await Promise.all(names.map((n) => hashFile(join(dir, n), 'md5-dos2unix')));
    expect(Object.fromEntries(names.map((n, i) => [n, actual[i]]))).toEqual(
      Object.fromEntries(names.map((n, i) => [n, expected[i]])),
    );
  }, 60_000);

  it('gives the same digest whatever chunks the bytes arrive in (a download)', async () => {
    for (const name of ['crlf across blocks', 'text then binary block']) {
      const bytes = await readFile(join(dir, name));
      const hasher = contentHasher('md5-dos2unix');
      for (let at = 0; at < bytes.length; at += 65_521)
        hasher.update(bytes.subarray(at, at + 65_521));
      expect(hasher.digest(), name).toBe(await hashFile(join(dir, name), 'md5-dos2unix'));
    }
  });

  it('tells text from binary by the share of non-text bytes and NULs', () => {
    expect(isTextBlock(Buffer.alloc(0))).toBe(true);
    expect(isTextBlock(Buffer.from('plain\ttext\r\n\f\b'))).toBe(true);
    expect(isTextBlock(Buffer.from('text\0'))).toBe(false);
    expect(isTextBlock(Buffer.from([65, 65, 65, 65, 65, 65, 65, 200, 200, 200]))).toBe(true);
    expect(isTextBlock(Buffer.from([65, 65, 65, 65, 65, 65, 200, 200, 200, 200]))).toBe(false);
  });
});
