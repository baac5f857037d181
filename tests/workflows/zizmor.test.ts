/**
 * zizmor (the pinned release scripts/services/zizmor.sh installs) on the
 * generated workflows and on the adopter example's: no finding of medium
 * severity or above. Offline, so the audits that ask GitHub are not run and the
 * answer does not depend on the network.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zizmorBinary } from '../support/peers.js';

const run = promisify(execFile);

const WORKFLOW_DIRS = ['.github/workflows', 'examples/adopter/.github/workflows'];
const SEVERE = new Set(['Medium', 'High']);

const Location = z.object({
  symbolic: z.object({
    key: z.object({ Local: z.object({ verbatim_path: z.string() }) }).partial(),
    annotation: z.string(),
    kind: z.string(),
  }),
  concrete: z.object({
    location: z.object({ start_point: z.object({ row: z.number() }) }),
    feature: z.string(),
  }),
});
/** The part of zizmor's JSON output (format v1) the test reads. */
const Findings = z.array(
  z.object({
    ident: z.string(),
    desc: z.string(),
    url: z.string(),
    determinations: z.object({ severity: z.string(), confidence: z.string() }),
    locations: z.array(Location),
  }),
);
type Finding = z.infer<typeof Findings>[number];

function workflowFiles(): string[] {
  return WORKFLOW_DIRS.filter((dir) => existsSync(dir)).flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => join(dir, name)),
  );
}

/** --offline already keeps zizmor off the network; no token makes sure of it. */
function withoutTokens(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const TOKENS = ['GH_TOKEN', 'GITHUB_TOKEN', 'ZIZMOR_GITHUB_TOKEN'];
  return Object.fromEntries(Object.entries(env).filter(([key]) => !TOKENS.includes(key)));
}

/** One line a reader can act on: where, what, how bad, and the audit's docs. */
function describeFinding(finding: Finding): string {
  const at = finding.locations.find((l) => l.symbolic.kind === 'Primary') ?? finding.locations[0];
  const where = at
    ? `${at.symbolic.key.Local?.verbatim_path ?? '?'}:${at.concrete.location.start_point.row + 1}`
    : '?';
  const feature = at ? ` \`${at.concrete.feature.split('\n')[0]}\`: ${at.symbolic.annotation}` : '';
  return `${where} ${finding.determinations.severity} ${finding.ident} (${finding.desc})${feature} — ${finding.url}`;
}

describe('zizmor on the workflows', () => {
  it('finds nothing of medium severity or above', async () => {
    const files = workflowFiles();
    expect(files.length).toBeGreaterThan(0);
    // zizmor exits non-zero when it finds anything; the JSON on stdout is read either way.
    const stdout = await run(
      zizmorBinary(),
      ['--offline', '--format', 'json', '--no-progress', '--color', 'never', ...files],
      { env: withoutTokens(process.env) },
    ).then(
      (r) => r.stdout,
      (e: { stdout?: string; stderr?: string; code?: number }) => {
        // Findings exit with 10 + the highest severity; anything else is zizmor failing.
        if (!e.stdout || typeof e.code !== 'number' || e.code < 10)
          throw new Error(`zizmor failed (exit ${e.code}): ${e.stderr ?? ''}`);
        return e.stdout;
      },
    );
    const severe = Findings.parse(JSON.parse(stdout)).filter((f) =>
      SEVERE.has(f.determinations.severity),
    );
    expect(severe.map(describeFinding), `zizmor on ${files.join(', ')}`).toEqual([]);
  });
});
