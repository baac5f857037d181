/**
 * The security scans: ESLint's security rules on the code that runs, and the
 * workflows that audit the dependencies (npm audit, dependency review), the
 * workflows themselves (zizmor), the code (CodeQL), and publish an SBOM with
 * each release. Read from the YAML GitHub reads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { CODEQL_LANGUAGES } from '../../workflows/codeql.js';
import { SBOM_FILE, SBOM_STEP } from '../../workflows/release.js';
import { pinned, ZIZMOR_STEP } from '../../workflows/steps.js';
import type { Job, Step } from '../../workflows/types.js';
import { generated } from './helpers.js';

const steps = (job: { steps?: Step[] } | undefined) => job?.steps ?? [];
const runs = (job: Job | undefined) =>
  steps(job)
    .map((s) => s.run ?? '')
    .join('\n');

describe('ESLint security rules', () => {
  const eslint = new ESLint();
  const UNSAFE = [
    'export function run(code: string): unknown {',
    '  return eval(code);',
    '}',
    'export const twice = /^(a+)+$/;',
    '',
  ].join('\n');

  const rules = async (filePath: string) =>
    (await eslint.lintText(UNSAFE, { filePath }))[0]!.messages.map((m) => m.ruleId);

  it('fail the code that runs: the library, actions, CLI, scripts and benchmarks', async () => {
    for (const file of [
      'pipeline/data/x.ts',
      'actions/train/src/x.ts',
      'scripts/x.ts',
      'bench/x.ts',
    ]) {
      const found = await rules(file);
      expect(found, file).toContain('security/detect-eval-with-expression');
      expect(found, file).toContain('security/detect-unsafe-regex');
    }
    const bin = await eslint.lintText('export const f = (n) => new Buffer(n);\n', {
      filePath: 'bin/x.js',
    });
    expect(bin[0]!.messages).toContainEqual(
      expect.objectContaining({ ruleId: 'security/detect-new-buffer', severity: 2 }),
    );
  });

  it('leave tests alone, whose fixtures are built to be unsafe', async () => {
    const found = await rules('tests/x.test.ts');
    expect(found.filter((r) => r?.startsWith('security/'))).toEqual([]);
  });
});

describe('security.yml', () => {
  it('runs on pull requests, on main and weekly, granting nothing by default', async () => {
    const wf = (await generated())['security.yml']!;
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'schedule']);
    expect(wf.on.push!.branches).toEqual(['main']);
    expect(wf.on.schedule).toHaveLength(1);
    expect(wf.permissions).toEqual({});
  });

  it('fails on a production dependency with a high advisory, and on a workflow finding of medium or above', async () => {
    const audit = (await generated())['security.yml']!.jobs['audit'] as Job;
    expect(runs(audit)).toContain('npm audit --omit=dev --audit-level=high');
    const zizmor = steps(audit).find((s) => s.name === ZIZMOR_STEP)!;
    expect(zizmor.run).toMatch(/zizmor" --min-severity medium .*\.github\/workflows/);
    // The zizmor the tests pin, installed by the same script.
    const install = steps(audit).findIndex((s) => s.run === 'bash scripts/services/zizmor.sh');
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(steps(audit).indexOf(zizmor));
    expect(zizmor.env!['MLOPS_PEERS_DIR']).toBe(steps(audit)[install]!.env!['MLOPS_PEERS_DIR']);
    expect(audit.permissions).toEqual({ contents: 'read' });
  });

  it('reviews the dependencies a pull request changes, pinned, failing on high', async () => {
    const review = (await generated())['security.yml']!.jobs['dependency-review'] as Job;
    expect(review.if).toBe("github.event_name == 'pull_request'");
    const step = steps(review).find((s) => s.uses?.startsWith('actions/dependency-review-action@'));
    expect(step?.uses).toBe(pinned('actions/dependency-review-action'));
    expect(step?.with).toMatchObject({ 'fail-on-severity': 'high' });
    expect(review.permissions).toEqual({ contents: 'read' });
  });
});

describe('codeql.yml', () => {
  it('analyses the TypeScript and the workflows on main, pull requests and weekly', async () => {
    const wf = (await generated())['codeql.yml']!;
    expect(wf.on.push!.branches).toEqual(['main']);
    expect(wf.on.pull_request!.branches).toEqual(['main']);
    expect(wf.on.schedule).toHaveLength(1);
    const analysed = Object.values(wf.jobs).flatMap((j) =>
      steps(j as Job)
        .filter((s) => s.uses === pinned('github/codeql-action/init'))
        .map((s) => s.with!['languages']),
    );
    expect(analysed.sort()).toEqual(['actions', 'javascript-typescript']);
    expect([...CODEQL_LANGUAGES].sort()).toEqual(analysed);
    for (const [name, job] of Object.entries(wf.jobs))
      expect(
        steps(job as Job).map((s) => s.uses?.split('@')[0]),
        name,
      ).toContain('github/codeql-action/analyze');
  });

  it('only the analyse jobs may write, and only security events', async () => {
    const wf = (await generated())['codeql.yml']!;
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(wf.jobs))
      expect(job.permissions, name).toEqual({ contents: 'read', 'security-events': 'write' });
  });
});

describe('release.yml', () => {
  it('writes a CycloneDX SBOM of the production dependencies and attaches it to the release', async () => {
    const release = (await generated())['release.yml']!.jobs['release'] as Job;
    const all = steps(release);
    const sbom = all.findIndex((s) => s.name === SBOM_STEP.name);
    expect(all[sbom]).toEqual(SBOM_STEP);
    const tag = all.findIndex((s) => /gh release create/.test(s.run ?? ''));
    expect(tag).toBeGreaterThan(sbom);
    expect(all[tag]!.run).toContain('sbom="$RUNNER_TEMP/mlops-pipeline-$VERSION.cdx.json"');
    expect(all[tag]!.run).toContain(`mv "${SBOM_FILE}" "$sbom"`);
    expect(all[tag]!.run).toMatch(/gh release create "\$VERSION" "\$sbom" /);
  });

  it('the SBOM step lists every production package of the lockfile, and no development tool', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'sbom-'));
    try {
      // The step's own script, run from the checkout as the runner runs it.
      await promisify(execFile)('bash', ['-e', '-c', SBOM_STEP.run!], {
        env: { ...process.env, RUNNER_TEMP: temp },
        maxBuffer: 64 * 1024 * 1024,
      });
      const bom = JSON.parse(await readFile(SBOM_FILE.replace('$RUNNER_TEMP', temp), 'utf8')) as {
        bomFormat: string;
        metadata: { component: { name: string } };
        components: { name: string; version: string }[];
      };
      expect(bom.bomFormat).toBe('CycloneDX');
      expect(bom.metadata.component.name).toBe('mlops-pipeline');
      const listed = new Set(bom.components.map((c) => `${c.name}@${c.version}`));
      const lock = JSON.parse(await readFile('package-lock.json', 'utf8')) as {
        packages: Record<string, { version?: string; dev?: boolean }>;
      };
      const production = Object.entries(lock.packages)
        .filter(([path, p]) => path !== '' && !p.dev)
        .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version}`);
      expect(production.length).toBeGreaterThan(100);
      // Those `npm sbom --omit dev` drops (npm/cli#7909) among them: zod, yaml, esbuild, tsx, commander.
      expect(production.filter((p) => !listed.has(p))).toEqual([]);
      for (const tool of ['eslint', 'vitest', 'eslint-plugin-security', 'typescript'])
        expect(
          [...listed].filter((c) => c.startsWith(`${tool}@`)),
          tool,
        ).toEqual([]);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  });
});
