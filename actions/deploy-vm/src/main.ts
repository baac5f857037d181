import * as core from '@actions/core';
import { runAction } from '../../shared/src/run.js';
import { planOnlyDeployer, sshDeployer } from './deployer.js';
import { readModelMetadata } from './model.js';
import { readSettings } from './settings.js';
import { writeSummary } from '../../shared/src/summary.js';

await runAction(async () => {
  const settings = readSettings();
  const { model_version: release } = await readModelMetadata(settings.modelDir);
  const target = `${settings.user}@${settings.host}:${settings.port}`;
  core.info(
    `release ${release} to ${target}, host key ${settings.hostKey.type} ${settings.hostKey.fingerprint}`,
  );
  const deployer = settings.dryRun ? planOnlyDeployer : sshDeployer;
  // A cancelled run gets SIGINT, then SIGTERM: either one rolls back and unlocks.
  const cancel = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => cancel.abort(name));
  const result = await deployer.deployRelease({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    privateKey: settings.privateKey,
    hostKey: settings.hostKey,
    modelDir: settings.modelDir,
    serverDir: settings.serverDir,
    release,
    base: settings.base,
    serviceCommand: settings.serviceCommand,
    readyPort: settings.readyPort,
    readyTimeoutSeconds: settings.readyTimeoutSeconds,
    keep: settings.keep,
    log: (line) => core.info(line),
    signal: cancel.signal,
  });
  const verb = result.deployed ? 'deployed' : 'planned (dry run, nothing changed)';
  await writeSummary((s) =>
    s
      .addHeading('Deploy', 3)
      .addRaw(
        `Release \`${result.release}\` ${verb} on \`${target}\` (host key \`${settings.hostKey.fingerprint}\`).`,
        true,
      ),
  );
  core.setOutput('release', result.release);
  core.setOutput('deployed', result.deployed);
  core.setOutput('url', result.url ?? '');
});
