/** Read a JSON file the user points at, and check it against its schema, naming what is wrong. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { PipelineError, type ErrorCode } from '../errors.js';

export async function readJsonFile(
  path: string,
  what: string,
  code: ErrorCode = 'input',
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PipelineError(
      code,
      `${path}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PipelineError(code, `${path}: the ${what} is not valid JSON`);
  }
}

/** A JSON file's content, parsed by `schema`; the first issue is the error, with its key path. */
export async function readJsonWith<T extends z.ZodType>(
  path: string,
  what: string,
  schema: T,
  hint: string,
  code: ErrorCode = 'input',
): Promise<z.infer<T>> {
  const result = schema.safeParse(await readJsonFile(path, what, code));
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PipelineError(code, `${path}: ${issue.path.join('.') || what}: ${issue.message}`, {
    hint,
  });
}
