/**
 * A secret given as an input is masked before anything prints and appears in
 * no output the runner keeps: stdout, stderr, GITHUB_OUTPUT, the job summary,
 * or what the actions send to GitHub.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseRepository, pullRequestEvent, writeEvent } from './helpers/events.js';
import { makeRepository } from './helpers/fixture.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { runAction, type ActionRun } from './helpers/run-action.js';

const TOKEN = 'ghp_FakeSecretToken0123456789abcdefABCDEF';
// A real key (the dry run parses it, as a deploy would before contacting a host);
// KEY_LINE, one line of it, must never show.
const PRIVATE_KEY = ssh2.utils.generateKeyPairSync('ed25519').private.trim();
const KEY_LINE = PRIVATE_KEY.split('\n')[1]!;
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

/** What the runner keeps: stdout less the ::add-mask:: commands it consumes. */
function kept(run: ActionRun): string {
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  return [stdout, run.stderr, JSON.stringify(run.outputs), run.summary].join('\n');
}

/** The mask comes before any other line of output. */
function maskedFirst(run: ActionRun, secret: string): boolean {
  const lines = run.stdout.split('\n').filter(Boolean);
  const first = lines.findIndex((l) => !l.startsWith('::add-mask::'));
  return lines
    .slice(0, first === -1 ? lines.length : first)
    .some((l) => l === `::add-mask::${secret}`);
}

describe('secrets given as inputs', () => {
  let github: GitHubServer;
  let workspace: string;
  let events: string;
  let base: string;

  beforeAll(async () => {
    workspace = await makeRepository({ 'reports/report.md': '<!-- mlops-report -->\n## report\n' });
    events = await mkdtemp(join(tmpdir(), 'mlops-event-'));
    base = baseRepository(
      pullRequestEvent('opened', { number: 1, sha: 'x', branch: 'x', repo: 'x/x' }),
    );
    github = await startGitHubServer({
      repo: base,
      tokens: { [TOKEN]: { login: 'release-bot', actor: 'release-bot', pullRequestsWrite: true } },
    });
    github.addPull({ number: 3, headRef: 'b', headSha: 'd'.repeat(40), headRepo: base });
  });
  afterAll(async () => {
    await github?.close();
    for (const dir of [workspace, events]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the report action never shows its token', async () => {
    const run = await runAction('report', {
      workspace,
      inputs: { 'github-token': TOKEN, report: 'reports/report.md' },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_REPOSITORY: base,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: await writeEvent(
          events,
          pullRequestEvent('opened', { number: 3, sha: 'd'.repeat(40), branch: 'b', repo: base }),
        ),
        RUNNER_DEBUG: '1',
      },
    });
    expect(run.code, run.stdout).toBe(0);
    expect(maskedFirst(run, TOKEN)).toBe(true);
    expect(kept(run)).not.toContain(TOKEN);
    expect(github.comments(3)).toHaveLength(1);
    expect(JSON.stringify(github.requests)).not.toContain(TOKEN);
    expect(github.comments(3)[0]!.body).not.toContain(TOKEN);
  });

  it('deploy-vm never shows its SSH key, whether its inputs are good or not', async () => {
    const model = join(workspace, 'artifacts', 'model');
    const train = await runAction('train', { workspace, inputs: { cache: 'false' } });
    expect(train.code).toBe(0);
    const inputs = {
      host: 'vm.example.org',
      'ssh-private-key': PRIVATE_KEY,
      'host-key': HOST_KEY,
      model,
      'dry-run': 'true',
      'require-review': 'false',
      'record-production': 'false',
    };
    const good = await runAction('deploy-vm', { workspace, inputs });
    expect(good.code, good.stdout).toBe(0);
    expect(good.outputs['release']).toBe(train.outputs['model-version']);
    expect(good.outputs['deployed']).toBe('false');

    const badKey = await runAction('deploy-vm', {
      workspace,
      inputs: { ...inputs, 'ssh-private-key': KEY_LINE },
    });
    expect(badKey.code).toBe(2);
    const badHost = await runAction('deploy-vm', {
      workspace,
      inputs: { ...inputs, host: 'not a host!' },
    });
    expect(badHost.code).toBe(2);
    for (const run of [good, badKey, badHost]) {
      expect(maskedFirst(run, KEY_LINE)).toBe(true);
      expect(kept(run)).not.toContain(KEY_LINE);
    }
  });
});
