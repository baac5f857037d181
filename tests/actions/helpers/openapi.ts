/**
 * GitHub's published REST description (@octokit/openapi) as a request checker:
 * a request whose method and path are not an operation of api.github.com, whose
 * query has a parameter the operation does not declare, or whose JSON body does
 * not match the operation's requestBody schema is refused. Answers can be
 * checked too, against the operation's response schema for their status, so a
 * stand-in answers what GitHub would.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Parameter {
  name: string;
  in: string;
  $ref?: string;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation> & { parameters?: Parameter[] }>;
  components: { parameters: Record<string, Parameter> };
}

export interface MatchedOperation {
  operationId: string;
  template: string;
  method: string;
  params: Record<string, string>;
}

const BASE = 'https://api.github.com/spec';
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

class OpenApiChecker {
  private readonly spec: Spec;
  private readonly ajv: Ajv;
  private readonly routes: { template: string; regex: RegExp; names: string[]; literal: number }[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    this.spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: this.spec.components }, BASE);
    this.routes = Object.keys(this.spec.paths).map((template) => {
      const names: string[] = [];
      const pattern = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{([^}]+)\}/g, (_, n: string) => {
          names.push(n);
          return '([^/]+)';
        });
      return {
        template,
        regex: new RegExp(`^${pattern}$`),
        names,
        literal: template.replace(/\{[^}]+\}/g, '').length,
      };
    });
  }

  /** The operation a request is, or why it is not one. */
  check(method: string, url: URL, body: unknown): MatchedOperation | { error: string } {
    const matches = this.routes
      .map((r) => ({ r, m: r.regex.exec(url.pathname) }))
      .filter((x) => x.m)
      .sort((a, b) => b.r.literal - a.r.literal);
    const found = matches.find((x) => this.spec.paths[x.r.template]![method.toLowerCase()]);
    if (!found)
      return { error: `${method} ${url.pathname} is not an operation of the GitHub REST API` };
    const item = this.spec.paths[found.r.template]!;
    const op = item[method.toLowerCase()] as Operation;
    const params = Object.fromEntries(
      found.r.names.map((n, i) => [n, decodeURIComponent(found.m![i + 1]!)]),
    );
    const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
      p.$ref ? this.spec.components.parameters[p.$ref.split('/').pop()!]! : p,
    );
    const query = new Set(declared.filter((p) => p.in === 'query').map((p) => p.name));
    for (const key of url.searchParams.keys())
      if (!query.has(key))
        return { error: `${op.operationId}: query parameter "${key}" is not declared` };
    const schema = op.requestBody?.content['application/json']?.schema;
    if (schema) {
      const validate = this.compile(op.operationId, schema);
      if (!validate(body))
        return {
          error: `${op.operationId}: body does not match the spec: ${this.ajv.errorsText(validate.errors)}`,
        };
    } else if (body !== undefined) {
      return { error: `${op.operationId}: takes no request body` };
    }
    return {
      operationId: op.operationId,
      template: found.r.template,
      method: method.toLowerCase(),
      params,
    };
  }

  /** Why an answer to `op` is not one GitHub's description allows, or undefined when it is. */
  checkResponse(op: MatchedOperation, status: number, body: unknown): string | undefined {
    const operation = this.spec.paths[op.template]![op.method] as Operation;
    const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) return `${op.operationId}: ${status} is not a documented JSON response`;
    const validate = this.compile(`${op.operationId} ${status}`, schema);
    return validate(body)
      ? undefined
      : `${op.operationId}: ${status} response does not match the spec: ${this.ajv.errorsText(validate.errors)}`;
  }

  private compile(id: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(id);
    if (!validate) {
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', `"${BASE}#/components/`),
      );
      validate = this.ajv.compile(rebased as object);
      this.validators.set(id, validate);
    }
    return validate;
  }
}

let checker: OpenApiChecker | undefined;

export function openApi(): OpenApiChecker {
  checker ??= new OpenApiChecker();
  return checker;
}
