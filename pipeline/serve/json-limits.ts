/**
 * Bounds on the work one request body can cause, checked on its raw text before
 * anything parses or walks it: nesting depth, fields per object, and the length
 * of field names and string values. The body size is bounded before this (the
 * body limit), so the scan is linear in at most that many characters.
 *
 * Written by hand because no maintained JSON parser bounds these: Fastify's
 * (secure-json-parse) guards against prototype poisoning only. The scan does
 * not validate JSON; JSON.parse still decides that, after it.
 */
import type { FastifyInstance } from 'fastify';
import { clip } from '../util/text.js';

export interface JsonLimits {
  /** Most arrays and objects inside one another; a batch of rows needs 3. */
  depth: number;
  /** Most fields in one object. */
  fields: number;
  /** Longest field name, in characters as written in the JSON text. */
  keyLength: number;
  /** Longest string value, in characters as written in the JSON text. */
  stringLength: number;
}

export const JSON_LIMITS: JsonLimits = {
  depth: 8,
  fields: 1000,
  keyLength: 256,
  stringLength: 1024,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** What in `text` goes past `limits`, or undefined when nothing does. */
function jsonLimitViolation(text: string, limits: JsonLimits = JSON_LIMITS): string | undefined {
  // One entry per open container: the fields seen so far in an object, -1 for an array.
  const open: number[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (end < n) {
        const d = text.charCodeAt(end);
        if (d === QUOTE) break;
        end += d === BACKSLASH ? 2 : 1;
      }
      const length = end - i - 1;
      let next = end + 1;
      while (next < n && isSpace(text.charCodeAt(next))) next++;
      const top = open.length - 1;
      if (top >= 0 && open[top]! >= 0 && text.charCodeAt(next) === COLON) {
        if (length > limits.keyLength)
          return `field name ${clip(text.slice(i, end + 1))} is ${length} characters long (at most ${limits.keyLength})`;
        if (++open[top]! > limits.fields) return `an object has more than ${limits.fields} fields`;
      } else if (length > limits.stringLength) {
        return `string value ${clip(text.slice(i, end + 1))} is ${length} characters long (at most ${limits.stringLength})`;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      open.push(c === OPEN_OBJECT ? 0 : -1);
      if (open.length > limits.depth)
        return `arrays and objects are nested more than ${limits.depth} levels deep`;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
    }
  }
  return undefined;
}

/**
 * Replace the app's JSON body parser with one that checks the limits first and
 * then parses as Fastify does (secure-json-parse, prototype poisoning refused).
 * Only JSON is parsed at all: Fastify's text/plain parser is removed, so any
 * other content type is answered 415.
 */
export function useBoundedJsonParser(app: FastifyInstance, limits: JsonLimits = JSON_LIMITS): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = jsonLimitViolation(body as string, limits);
    if (problem) {
      const error = Object.assign(new Error(`request body: ${problem}`), { statusCode: 400 });
      done(error, undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
