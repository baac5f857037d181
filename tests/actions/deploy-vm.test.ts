/**
 * deploy-vm's inputs: the pinned host key is parsed and fingerprinted as
 * ssh-keygen does, and a key cut short, an unknown key type, a bad host or port
 * is refused before anything else happens (exit status 2, bad input).
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRepository } from './helpers/fixture.js';
import { runMlops } from '../helpers/project.js';
import { runAction } from './helpers/run-action.js';

const exec = promisify(execFile);

describe('deploy-vm inputs', () => {
  let workspace: string;
  let keys: string;
  let hostKey: string;
  let privateKey: string;
  let fingerprint: string;

  beforeAll(async () => {
    workspace = await makeRepository();
    keys = await mkdtemp(join(tmpdir(), 'mlops-keys-'));
    await exec('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'vm',
      '-f',
      join(keys, 'host'),
    ]);
    await exec('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'deploy',
      '-f',
      join(keys, 'deploy'),
    ]);
    hostKey = (await readFile(join(keys, 'host.pub'), 'utf8')).trim();
    privateKey = await readFile(join(keys, 'deploy'), 'utf8');
    fingerprint = (await exec('ssh-keygen', ['-lf', join(keys, 'host.pub')])).stdout.split(' ')[1]!;
    const train = await runAction('train', { workspace, inputs: { cache: 'false' } });
    expect(train.code).toBe(0);
  });
  afterAll(async () => {
    for (const dir of [workspace, keys]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deploy = (inputs: Record<string, string>) =>
    runAction('deploy-vm', {
      workspace,
      inputs: {
        host: '10.0.0.5',
        'ssh-private-key': privateKey,
        'host-key': hostKey,
        'dry-run': 'true',
        'require-review': 'false',
        'record-production': 'false',
        ...inputs,
      },
    });

  it('pins the host key with the fingerprint ssh-keygen gives', async () => {
    // A line of ssh-keyscan output (host first) is accepted as it is.
    const run = await deploy({
      'host-key': `vm.example.org ${hostKey}`,
      user: 'mlops',
      port: '2222',
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`mlops@10.0.0.5:2222, host key ssh-ed25519 ${fingerprint}`);
    expect(run.summary).toContain('planned (dry run, nothing changed)');
  });

  it.each([
    [
      'host-key',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0Sd',
      'key data is not a valid key',
    ],
    ['host-key', 'ssh-dss AAAAB3NzaC1kc3MAAACBAP', 'expected an SSH public host key'],
    ['host', 'vm;rm -rf /', 'is not a host name or IP address'],
    ['port', '70000', 'expected an integer from 1 to 65535'],
    ['user', 'Root User', 'is not a valid user name'],
    ['base', 'srv/mlops', 'input "base": "srv/mlops": expected an absolute path'],
    ['base', '/srv/../etc', 'input "base": "/srv/../etc": expected a path without ..'],
  ])('refuses %s %j', async (input, value, message) => {
    const run = await deploy({ [input]: value });
    expect(run.code).toBe(2);
    expect(run.annotations[0]?.message).toContain(message);
  });

  it('takes a user name with a dot, as mlops deploy does', async () => {
    const run = await deploy({ user: 'a.b' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`a.b@10.0.0.5:22, host key ssh-ed25519 ${fingerprint}`);
  });

  it('refuses a host that is not a host name with the words mlops deploy uses', async () => {
    const run = await deploy({ host: 'vm;reboot' });
    expect(run.code).toBe(2);
    const cli = await runMlops(
      [
        'deploy',
        '--host',
        'deploy@vm;reboot',
        '--server',
        workspace,
        '--model',
        join(workspace, 'artifacts/model'),
        '--key-file',
        join(keys, 'deploy'),
        '--host-key',
        hostKey,
        '--dry-run',
      ],
      { cwd: workspace },
    );
    expect(cli.code).toBe(2);
    const words = '"vm;reboot" is not a host name or IP address';
    expect(run.annotations[0]?.message).toBe(`input "host": ${words}`);
    expect(cli.stderr).toContain(`error: --host deploy@vm;reboot: ${words}\n`);
  });

  it('fails a dry run on a model folder whose weights were cut short', async () => {
    const copy = join(workspace, 'model-truncated');
    await cp(join(workspace, 'artifacts/model'), copy, { recursive: true });
    const weights = join(copy, 'weights.bin');
    await truncate(weights, (await stat(weights)).size - 4);
    const run = await deploy({ model: 'model-truncated' });
    expect(run.code).toBe(2);
    expect(run.annotations[0]?.message).toMatch(
      /^model-truncated\/weights\.bin holds \d+ bytes, but model\.json's weightsManifest describes \d+/,
    );
    expect(run.summary).not.toContain('planned');
  });

  it('without dry-run it needs the server folder, and says so before connecting', async () => {
    const run = await deploy({ 'dry-run': 'false' });
    expect(run.code).toBe(2);
    expect(run.annotations[0]?.message).toContain(
      'input "server": required unless dry-run is true',
    );
  });
});
