/**
 * DVC pointer files (`data.dvc`): the `outs` list with md5, size, hash and path.
 * Fields we do not use are kept as they are, so a file we rewrite stays DVC's.
 * An out without `hash: md5` was written by DVC 2 and is read as DVC 3 reads it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from '../../util/files.js';
import { z } from 'zod';
import { PipelineError } from '../../errors.js';
import type { HashKind } from './dos2unix.js';

export const DvcOutSchema = z.looseObject({
  md5: z.string().regex(/^[0-9a-f]{32}(\.dir)?$/, 'expected an md5 hex digest'),
  size: z.number().int().nonnegative().optional(),
  nfiles: z.number().int().nonnegative().optional(),
  hash: z.string().optional(),
  path: z.string().min(1),
});

export const DvcFileSchema = z.looseObject({
  outs: z.array(DvcOutSchema).min(1),
});

export type DvcOut = z.infer<typeof DvcOutSchema>;
export type DvcFile = z.infer<typeof DvcFileSchema>;

export interface Pointer {
  /** Absolute path of the .dvc file. */
  file: string;
  /** The whole file as read, unknown fields included, for rewriting. */
  doc: DvcFile;
  out: DvcOut;
  /**
   * How `out.md5` was computed and where its objects live: `md5` (DVC 3,
   * `files/md5/` layout) or, for a DVC 2 out (no `hash:`), `md5-dos2unix` in
   * the legacy layout with no prefix.
   */
  kind: HashKind;
  /** Absolute path of the data the pointer names. */
  dataPath: string;
}

export async function readPointer(file: string): Promise<Pointer> {
  return parsePointer(file, await readPointerText(file));
}

async function readPointerText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new PipelineError(
      'data',
      `${file}: cannot read the data pointer (${(error as NodeJS.ErrnoException).code})`,
      {
        hint: 'Point data.pointer in mlops.yaml at a .dvc file, or create one with `mlops data add PATH`.',
        cause: error,
      },
    );
  }
}

/** Parse the text of a pointer file (read from disk or from a git revision). */
export function parsePointer(file: string, text: string): Pointer {
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new PipelineError(
      'data',
      `${file}: not valid YAML (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const result = DvcFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new PipelineError(
      'data',
      `${file}: ${issue.path.join('.') || 'outs'}: ${issue.message}`,
      {
        hint: 'A DVC 3 pointer has `outs: [{md5, size, hash: md5, path}]`.',
      },
    );
  }
  if (result.data.outs.length > 1)
    throw new PipelineError(
      'data',
      `${file}: has ${result.data.outs.length} outs; the pipeline reads one dataset`,
    );
  const out = result.data.outs[0]!;
  return {
    file,
    doc: result.data,
    out,
    kind: hashKindOf(out),
    dataPath: resolve(dirname(file), out.path),
  };
}

/** DVC 3 reads an out without `hash:` as a DVC 2 one (dvc/output.py, "Legacy 2.x output"). */
function hashKindOf(out: DvcOut): HashKind {
  return out.hash === undefined ? 'md5-dos2unix' : 'md5';
}

/**
 * Write a pointer as DVC 3 does (`outs:` list unindented, md5, size, nfiles,
 * hash, path in that order), keeping every other field of `previous`.
 */
export async function writePointer(
  file: string,
  out: { md5: string; size: number; nfiles?: number; path: string },
  previous?: DvcFile,
): Promise<void> {
  const old = previous?.outs[0] ?? {};
  const kept = Object.fromEntries(
    Object.entries(old).filter(([k]) => !['md5', 'size', 'nfiles', 'hash', 'path'].includes(k)),
  );
  const written: Record<string, unknown> = { md5: out.md5, size: out.size };
  if (out.nfiles !== undefined) written['nfiles'] = out.nfiles;
  Object.assign(written, { hash: 'md5', path: out.path }, kept);
  const doc = { ...previous, outs: [written] };
  // DVC's YAML writer (ruamel) quotes a path that needs it ("a: b") in single
  // quotes, and in double quotes only when it holds a single quote itself.
  await writeFileAtomic(
    file,
    stringify(doc, { indentSeq: false, lineWidth: 0, singleQuote: true }),
  );
}
