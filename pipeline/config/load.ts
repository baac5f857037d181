/**
 * Read mlops.yaml, apply `--set` overrides and validate, turning every zod issue
 * into a message that names the key path, what was expected and what was found.
 */
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, LineCounter, parse as parseYamlValue, parseDocument } from 'yaml';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { canonicalJson, sha256Hex } from '../util/hash.js';
import { formatKeyPath, parseKeyPath, startsWith, type KeyPath } from './keypath.js';
import { ConfigSchema, configJsonSchema, type Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  path: string;
  /** Folder of the config file: data, artifacts/ and reports/ are relative to it. */
  dir: string;
  /**
   * sha256 of what decides the trained model (data, split, model, search), keys
   * sorted: part of the model version. Gates and report settings are left out, so
   * tightening a gate does not retrain.
   */
  hash: string;
  /** The line (1-based) where a key path is written in the file, for annotations. */
  lineOf(path: KeyPath): number | undefined;
  /** The `--set` overrides applied, as written and as key paths. */
  overrides: readonly Override[];
}

export interface Override {
  text: string;
  path: KeyPath;
}

export async function loadConfig(
  file: string,
  overrides: readonly string[] = [],
): Promise<LoadedConfig> {
  const path = resolve(file);
  const label = displayName(path);
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PipelineError(
      'config',
      code === 'ENOENT' ? `${label}: no such file` : `${label}: cannot read (${code})`,
      { hint: 'Pass the pipeline definition with --config FILE.', cause: error },
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lines.linePos(syntax.pos[0]);
    throw new PipelineError(
      'config',
      `${label}:${at.line}:${at.col}: ${firstLine(syntax.message)}`,
      {
        location: { file: path, line: at.line, column: at.col },
      },
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // Aliases that cannot be resolved, or that would expand past maxAliasCount (a
    // "billion laughs" file): the yaml library throws while building the values.
    const message = firstLine((error as Error).message);
    const expansion = message.startsWith('Excessive alias count');
    throw new PipelineError(
      'config',
      `${label}: ${expansion ? `its YAML aliases would copy more than ${MAX_ALIAS_COUNT} nodes` : message}`,
      {
        location: { file: path },
        hint: expansion ? 'Write the repeated values out instead of nesting aliases.' : undefined,
        cause: error,
      },
    );
  }
  const parsedOverrides = overrides.map(parseOverride);
  if (parsedOverrides.length && !isSection(raw))
    throw new PipelineError(
      'config',
      `${label}: (top level): expected a section (key: value pairs), got ${describeValue(raw)}`,
      { location: { file: path, line: 1 } },
    );
  for (const o of parsedOverrides) applyOverride(raw, o);

  const result = ConfigSchema.safeParse(raw, { reportInput: true, error: describeIssue });
  const lineOf = (keyPath: KeyPath): number | undefined => {
    for (let n = keyPath.length; n >= 0; n--) {
      const node = doc.getIn(keyPath.slice(0, n), true) as { range?: [number, number] } | undefined;
      const offset = node?.range?.[0] ?? keyNodeOffset(doc.contents, keyPath.slice(0, n));
      if (offset !== undefined) return lines.linePos(offset).line;
    }
    return undefined;
  };
  if (!result.success) {
    const messages = result.error.issues.flatMap((issue) => formatIssue(issue, raw));
    // An issue under a key that a --set wrote is the override's fault, not the file's.
    const overrideAt = (issuePath: readonly PropertyKey[]) =>
      parsedOverrides.find((o) => startsWith(issuePath, o.path) || startsWith(o.path, issuePath));
    const text = messages
      .map((m) => {
        const o = overrideAt(m.path);
        return `${o ? `--set ${o.text}` : label}: ${m.text}`;
      })
      .join('\n');
    const first = messages[0]!;
    throw new PipelineError('config', text, {
      location: overrideAt(first.path)
        ? undefined
        : { file: path, line: lineOf(first.path.filter(isKeyPart)) },
      hint: 'The JSON Schema mlops.schema.json lists every key; editors use it to autocomplete.',
    });
  }
  const config = result.data;
  const { data, split, model, search } = config;
  const hash = sha256Hex(canonicalJson({ data, split, model, search: search ?? null }));
  return { config, path, dir: dirname(path), hash, lineOf, overrides: parsedOverrides };
}

/**
 * Validates the section at `at` (model.params) with a schema that is not the
 * config's own: a trainer's or a model module's. Its issues read as the
 * config's do (key path, expected and found, did-you-mean), with the line in
 * the file, or the `--set` that wrote the key. Returns the parsed value,
 * defaults filled in.
 */
export function checkSection(
  loaded: LoadedConfig,
  at: KeyPath,
  schema: z.ZodType,
  owner: string,
): unknown {
  const value = valueAt(loaded.config, at) ?? {};
  const result = schema.safeParse(value, { reportInput: true, error: describeIssue });
  if (result.success) return result.data;
  let sectionSchema: JsonSchemaNode | undefined;
  const known = (path: KeyPath) => {
    sectionSchema ??= z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
    }) as JsonSchemaNode;
    return knownKeysIn(sectionSchema, path.slice(at.length));
  };
  const messages = result.error.issues.flatMap((issue) =>
    formatIssue(
      { ...issue, path: [...at, ...issue.path] } as z.core.$ZodIssue,
      loaded.config,
      known,
    ),
  );
  const label = displayName(loaded.path);
  const where = (path: readonly PropertyKey[]) => {
    const o = loaded.overrides.find((o) => startsWith(path, o.path) || startsWith(o.path, path));
    if (o) return { text: `--set ${o.text}` };
    const line = loaded.lineOf(path.filter(isKeyPart));
    return { text: line ? `${label}:${line}` : label, line };
  };
  const first = where(messages[0]!.path);
  throw new PipelineError(
    'config',
    messages.map((m) => `${where(m.path).text}: ${m.text}`).join('\n'),
    {
      location: first.line ? { file: loaded.path, line: first.line } : undefined,
      hint: `${owner} declares the keys it takes in its params schema.`,
    },
  );
}

/** The config file as the user would type it from here: relative below the cwd, else absolute. */
function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function isKeyPart(p: PropertyKey): p is string | number {
  return typeof p === 'string' || typeof p === 'number';
}

function keyNodeOffset(contents: unknown, path: KeyPath): number | undefined {
  // getIn gives the value node; for a key whose value is empty we want the key itself.
  let node: unknown = contents;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === part);
      if (!pair) return undefined;
      if (part === path[path.length - 1] && isScalar(pair.key)) return pair.key.range?.[0];
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
    } else return undefined;
  }
  return undefined;
}

/** The yaml library's default: enough for any config, far from an expansion attack. */
const MAX_ALIAS_COUNT = 100;

function isSection(value: unknown): value is Record<string | number, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const keyText = eq > 0 ? text.slice(0, eq).trim() : '';
  const path = keyText ? parseKeyPath(keyText) : undefined;
  if (!path)
    throw new PipelineError(
      'usage',
      `--set ${text}: expected KEY.PATH=VALUE, for example model.epochs=50`,
    );
  return { text, path };
}

/**
 * The key path and value of one `KEY.PATH=VALUE`. The value is read as YAML, so
 * `model.layers=[64,32]` and `model.dropout=0.2` get their types; what is not
 * YAML stays the text it is.
 */
export function parseAssignment(text: string): { path: KeyPath; value: unknown } {
  const { path } = parseOverride(text);
  const valueText = text.slice(text.indexOf('=') + 1);
  try {
    return { path, value: valueText.trim() === '' ? '' : parseYamlValue(valueText) };
  } catch {
    return { path, value: valueText };
  }
}

function applyOverride(root: unknown, override: Override): void {
  const { text } = override;
  const { path, value } = parseAssignment(text);
  let node = root as Record<string | number, unknown>;
  // Own keys only, set as data properties: `--set __proto__.x=1` or `constructor.x`
  // name keys the schema then rejects, not Object.prototype.
  const set = (key: string | number, v: unknown) =>
    Object.defineProperty(node, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  path.forEach((part, i) => {
    // A list takes an index up to its length (one past the end appends): a key
    // would be dropped unseen, and [100000000] would allocate a hundred million slots.
    if (Array.isArray(node)) {
      const at = formatKeyPath(path.slice(0, i));
      if (typeof part !== 'number')
        throw new PipelineError(
          'config',
          `--set ${text}: ${at} is a list; expected an index such as ${at}[0]`,
        );
      if (part > node.length)
        throw new PipelineError(
          'config',
          `--set ${text}: ${at}[${part}] is past the end of the list (${node.length} item${node.length === 1 ? '' : 's'}); expected an index up to ${node.length}`,
        );
    }
    if (i === path.length - 1) {
      set(part, value);
      return;
    }
    const next = Object.hasOwn(node, part) ? node[part] : undefined;
    if (next === undefined || next === null) set(part, typeof path[i + 1] === 'number' ? [] : {});
    else if (typeof next !== 'object')
      throw new PipelineError(
        'config',
        `--set ${text}: ${formatKeyPath(path.slice(0, i + 1))} is ${describeValue(next)}, not a section`,
      );
    node = node[part] as Record<string | number, unknown>;
  });
}

/** Per-parse messages for issues whose schema did not say what it expected. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${issue.minimum as number} item${issue.minimum === 1 ? '' : 's'}`
        : issue.origin === 'string'
          ? 'expected a non-empty string'
          : `expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `expected at most ${issue.maximum as number} items`
        : `expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

function article(type: string): string {
  const names: Record<string, string> = {
    number: 'a number',
    int: 'an integer',
    string: 'a string',
    boolean: 'true or false',
    object: 'a section (key: value pairs)',
    array: 'a list',
    record: 'a section (key: value pairs)',
  };
  return names[type] ?? `a ${type}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function formatIssue(
  issue: z.core.$ZodIssue,
  raw: unknown,
  knownKeys: (path: KeyPath) => string[] = knownKeysAt,
): { path: PropertyKey[]; text: string }[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(path.filter(isKeyPart));
    return issue.keys.map((key) => {
      const suggestion = suggest(key, known);
      return {
        path: [...path, key],
        text: `${formatKeyPath([...path, key])}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}${known.length ? `; expected one of ${known.join(', ')}` : ''}`,
      };
    });
  }
  const input = 'input' in issue ? issue.input : valueAt(raw, path);
  let text = issue.message;
  if (issue.code !== 'custom' && text.startsWith('expected')) {
    if (input === undefined) text = `missing; ${text}`;
    else text = `${text}, got ${describeValue(input)}`;
    if (issue.code === 'invalid_value' && typeof input === 'string') {
      const suggestion = suggest(
        input,
        issue.values.filter((v): v is string => typeof v === 'string'),
      );
      if (suggestion) text += ` (did you mean "${suggestion}"?)`;
    }
  }
  return [{ path, text: `${formatKeyPath(path)}: ${text}` }];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function suggest(word: string, candidates: string[]): string | undefined {
  if (!candidates.length) return undefined;
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

type JsonSchemaNode = {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  anyOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
};

let jsonSchema: JsonSchemaNode | undefined;

/** The keys the schema allows at a path, read from the generated JSON Schema. */
function knownKeysAt(path: KeyPath): string[] {
  jsonSchema ??= configJsonSchema() as JsonSchemaNode;
  return knownKeysIn(jsonSchema, path);
}

function knownKeysIn(root: JsonSchemaNode, path: KeyPath): string[] {
  let nodes: JsonSchemaNode[] = [root];
  for (const part of path) {
    nodes = nodes.flatMap(expand).flatMap((n) => {
      if (typeof part === 'number') return n.items ? [n.items] : [];
      const prop = n.properties?.[part];
      if (prop) return [prop];
      return typeof n.additionalProperties === 'object' ? [n.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(expand).flatMap((n) => Object.keys(n.properties ?? {})))];
}

function expand(node: JsonSchemaNode): JsonSchemaNode[] {
  return [node, ...(node.anyOf ?? []).flatMap(expand), ...(node.allOf ?? []).flatMap(expand)];
}
