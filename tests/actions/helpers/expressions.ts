/**
 * `${{ … }}` in workflow files, evaluated with GitHub's own expression library,
 * plus the status functions the runner adds (success, failure, cancelled, always).
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';

const CONTEXTS = [
  'github',
  'env',
  'inputs',
  'job',
  'needs',
  'runner',
  'secrets',
  'steps',
  'vars',
  'matrix',
  'strategy',
];

export interface Status {
  /** Whether everything before (needs, or earlier steps) succeeded. */
  ok: boolean;
}

function evaluate(
  expression: string,
  context: Record<string, unknown>,
  status: Status,
): data.ExpressionData {
  const { tokens } = new Lexer(expression).lex();
  const fn = (name: string, value: () => boolean) =>
    [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) }] as const;
  const functions = new Map([
    fn('success', () => status.ok),
    fn('failure', () => !status.ok),
    fn('cancelled', () => false),
    fn('always', () => true),
  ]);
  const parsed = new Parser(tokens, CONTEXTS, [...functions.values()]).parse();
  const ctx = JSON.parse(JSON.stringify(context), data.reviver) as data.Dictionary;
  return new Evaluator(parsed, ctx, functions).evaluate();
}

/** A string with `${{ }}` parts, as in `with:` and `env:`. */
export function interpolate(
  text: string,
  context: Record<string, unknown>,
  status: Status = { ok: true },
): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, expr: string) =>
    evaluate(expr, context, status).coerceString(),
  );
}

/** An `if:` condition; like the runner, a bare expression needs no `${{ }}` and none means success(). */
export function condition(
  text: string | undefined,
  context: Record<string, unknown>,
  status: Status,
): boolean {
  if (!text) return status.ok;
  const expr = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(text)?.[1] ?? text;
  const usesStatus = /\b(success|failure|cancelled|always)\s*\(/.test(expr);
  const value = truthy(evaluate(expr, context, status));
  return usesStatus ? value : status.ok && value;
}
