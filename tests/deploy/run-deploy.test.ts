/**
 * The deploy entry point both shells call, in a dry run: it checks the
 * settings, the host key pins, the private key and the release's folders, and
 * each of those can fail it, before any host is contacted (the target here is
 * an address nothing answers on).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeploy, type DeployRunRequest } from '../../pipeline/deploy/run-deploy.js';
import type { DeploySettingsInput } from '../../pipeline/deploy/settings.js';
import { PipelineError } from '../../pipeline/errors.js';
import { modelVersionOf, trainModels, truncatedCopy } from './helpers/models.js';
import { STAND_IN_SERVER } from './helpers/vm.js';

const run = promisify(execFile);

let scratch: string;
let model: string;
let privateKey: string;
let hostKey: string;
let fingerprint: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlops-run-deploy-'));
  [model] = (await trainModels(scratch, [['model.epochs=3']])) as [string];
  for (const name of ['client', 'host'])
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(scratch, name)]);
  privateKey = await readFile(join(scratch, 'client'), 'utf8');
  hostKey = (await readFile(join(scratch, 'host.pub'), 'utf8')).trim();
  fingerprint = (await run('ssh-keygen', ['-lf', join(scratch, 'host.pub')])).stdout.split(' ')[1]!;
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** 192.0.2.0/24 is reserved for documentation: a dry run that connected would hang there. */
function request(extra: Partial<DeployRunRequest> = {}): DeployRunRequest {
  return {
    settings: { targets: [{ host: '192.0.2.7', user: 'deploy' }] },
    hostKeys: [hostKey],
    credentials: { privateKey },
    model,
    server: STAND_IN_SERVER.dir,
    dryRun: true,
    by: 'ci@runner',
    pid: process.pid,
    ...extra,
  };
}

async function refusal(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  return error as PipelineError;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('runDeploy, dry run', () => {
  it('checks every part of the deploy and contacts no host', async () => {
    const steps: string[] = [];
    const planned: string[] = [];
    const outcome = await runDeploy(
      request({
        events: {
          planned: ({ release }) => planned.push(release.version),
          step: (host, text) => steps.push(`${host}: ${text}`),
        },
      }),
    );
    expect(outcome.deployed).toBe(false);
    const { settings, pins, release } = outcome.plan;
    expect(settings.targets).toEqual([{ host: '192.0.2.7', port: 22, user: 'deploy' }]);
    expect(pins.knownHosts.map((e) => e.fingerprint)).toEqual([fingerprint]);
    expect(release.version).toBe(await modelVersionOf(model));
    expect(planned).toEqual([release.version]);
    expect(steps).toEqual([]);
    // Both folders, every file hashed as the VM will compare it.
    const weights = release.manifest.files.find((f) => f.path === 'model/weights.bin');
    expect(weights?.sha256).toBe(sha256(await readFile(join(model, 'weights.bin'))));
    expect(release.files.some((f) => f.path.startsWith('server/'))).toBe(true);
  });

  it('checks the model alone when no server folder is given', async () => {
    const outcome = await runDeploy(request({ server: undefined }));
    expect(outcome.plan.release.files.map((f) => f.path)).toEqual([
      'model/metadata.json',
      'model/model.json',
      'model/preprocess.json',
      'model/profile.json',
      'model/weights.bin',
    ]);
  });

  it('fails on a model folder whose weights were cut short, naming the file and the sizes', async () => {
    const broken = await truncatedCopy(model, join(scratch, 'model-truncated'));
    const size = (await readFile(join(model, 'weights.bin'))).length;
    const error = await refusal(runDeploy(request({ model: broken })));
    expect(error.code).toBe('model');
    expect(error.message).toBe(
      `${join(broken, 'weights.bin')} holds ${Math.floor(size / 2)} bytes, but model.json's weightsManifest describes ${size}`,
    );
  });

  it('fails on a model folder with a file missing or not its own', async () => {
    const missing = join(scratch, 'model-missing');
    await cp(model, missing, { recursive: true });
    await rm(join(missing, 'preprocess.json'));
    expect((await refusal(runDeploy(request({ model: missing })))).message).toBe(
      `${join(missing, 'preprocess.json')}: missing`,
    );

    const escaping = join(scratch, 'model-escaping');
    await cp(model, escaping, { recursive: true });
    const modelJson = JSON.parse(await readFile(join(escaping, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[] }[];
    };
    modelJson.weightsManifest[0]!.paths = ['../model-0/weights.bin'];
    await writeFile(join(escaping, 'model.json'), JSON.stringify(modelJson));
    expect((await refusal(runDeploy(request({ model: escaping })))).message).toMatch(
      /model\.json: weights path "\.\.\/model-0\/weights\.bin" leaves the model folder$/,
    );
  });

  it('fails on a host key that does not parse, naming where it came from', async () => {
    const cutShort = hostKey.slice(0, 40);
    for (const [text, message] of [
      [cutShort, 'input "host-key" line 1: the ssh-ed25519 key data is not a valid key'],
      ['vm1.example.org', 'input "host-key" line 1: expected an SSH public host key'],
      ['SHA256:not base64!', 'input "host-key": not a SHA256 fingerprint'],
    ] as const) {
      const error = await refusal(
        runDeploy(request({ hostKeys: [{ text, source: 'input "host-key"' }] })),
      );
      expect(error.message, text).toContain(message);
    }
    const none = await refusal(runDeploy(request({ hostKeys: ['# nothing but a comment\n'] })));
    expect(none.message).toBe('no host key pinned: the VM could not be told from an impostor');
  });

  it('fails on a private key that cannot be read', async () => {
    const error = await refusal(
      runDeploy(request({ credentials: { privateKey: privateKey.replace(/\n.{8}/, '\n') } })),
    );
    expect(error.message).toMatch(/^the SSH private key cannot be used \(/);
    expect(error.message).not.toContain(privateKey.split('\n')[1]!);
  });

  it('fails on settings the schema refuses, naming each as the shell calls it', async () => {
    const names = (path: readonly PropertyKey[]) => `<${path.join('.')}>`;
    for (const [settings, message] of [
      [
        { targets: [{ host: 'vm;reboot', user: 'deploy' }] },
        '<targets.0.host>: "vm;reboot" is not a host name or IP address',
      ],
      [
        { targets: [{ host: 'vm1', user: 'Root User' }] },
        '<targets.0.user>: "Root User" is not a valid user name',
      ],
      [
        { targets: [{ host: 'vm1', user: 'deploy' }], base: 'srv' },
        '<base>: "srv": expected an absolute path of letters, digits and ._+-@/ only',
      ],
    ] satisfies [DeploySettingsInput, string][]) {
      const error = await refusal(runDeploy(request({ settings, settingName: names })));
      expect(error.code).toBe('usage');
      expect(error.message).toBe(message);
    }
  });

  it('is stopped by its signal while the release is built, before any host is contacted', async () => {
    const error = await refusal(
      runDeploy(request({ dryRun: false, signal: AbortSignal.abort('SIGINT') })),
    );
    expect(error.message).toBe(
      'interrupted (SIGINT) while the release was being built; no host was contacted',
    );
  });

  it('needs a server folder unless it is a dry run', async () => {
    const error = await refusal(runDeploy(request({ dryRun: false, server: undefined })));
    expect(error.message).toBe('deploy setting server: required unless dry-run is true');
  });
});
