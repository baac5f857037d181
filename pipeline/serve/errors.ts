/**
 * Every failure as the API's error body, with the status a client can act on.
 * Fastify's own errors (body too large, bad JSON, wrong content type, schema
 * validation) keep their 4xx status; only a fault of ours is a 500. Names and
 * text from the request are clipped, so no message echoes a huge field back.
 */
import type { FastifyError } from 'fastify';
import type { FieldError } from '../prepare/preprocess.js';
import { clip } from '../util/text.js';

export interface ApiError {
  status: number;
  code: string;
  message: string;
  fields?: FieldError[];
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Schema violations as field errors: /rows/3/x is row 3, field "x". */
function validationFields(issues: readonly AjvIssue[]): FieldError[] {
  const useful = issues.filter((i) => i.keyword !== 'anyOf' && i.keyword !== 'not');
  return (useful.length ? useful : issues).map((issue) => {
    const parts = issue.instancePath.split('/').slice(1);
    const row = parts[0] === 'rows' && /^\d+$/.test(parts[1] ?? '') ? Number(parts[1]) : 0;
    const inRow = parts[0] === 'rows' && parts.length >= 2;
    const field = clip(inRow ? parts.slice(2).join('/') : parts.join('/'));
    let message = clip(issue.message ?? 'invalid', 256);
    if (inRow && parts.length === 2 && issue.keyword === 'type')
      message = 'expected an object of feature values';
    if (issue.keyword === 'additionalProperties')
      message = `unknown field "${clip(String(issue.params?.additionalProperty))}" beside "rows"`;
    if (issue.keyword === 'not') message = 'a one-row request cannot have a field named "rows"';
    return { row, field, message };
  });
}

const BY_CODE: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_request' },
};

export function toApiError(error: FastifyError, bodyLimit: number): ApiError {
  if (error.validation) {
    const fields = validationFields(error.validation as AjvIssue[]);
    return {
      status: 400,
      code: 'invalid_request',
      message: `request body does not match the schema: ${fields.map((f) => `${f.field || 'body'} ${f.message}`).join('; ')}`,
      fields,
    };
  }
  const known = BY_CODE[error.code];
  if (known?.status === 413)
    return { ...known, message: `request body is larger than the limit of ${bodyLimit} bytes` };
  if (known?.status === 415)
    return { ...known, message: 'expected Content-Type: application/json' };
  if (known) return { ...known, message: clip(error.message, 256) };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500)
    return {
      status,
      code: status === 404 ? 'not_found' : 'invalid_request',
      message: clip(
        error instanceof SyntaxError ? `body is not valid JSON: ${error.message}` : error.message,
        256,
      ),
    };
  return { status: 500, code: 'internal', message: 'internal error; the server log has details' };
}
