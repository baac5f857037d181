/** Deploy settings are checked before any host is contacted: what would reach a remote shell is constrained. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SERVICE_COMMAND,
  DeploySettingsSchema,
  parseTargetSpec,
} from '../../pipeline/deploy/settings.js';
import { PipelineError } from '../../pipeline/errors.js';

const target = { host: 'vm1.example.org', user: 'deploy' };

describe('deploy settings', () => {
  it('reads hosts as ssh writes them', () => {
    expect(parseTargetSpec('deploy@vm1.example.org')).toEqual({ ...target, port: 22 });
    expect(parseTargetSpec('deploy@10.0.0.7:2222')).toEqual({
      user: 'deploy',
      host: '10.0.0.7',
      port: 2222,
    });
    expect(parseTargetSpec('deploy@[fd00::7]:2200')).toEqual({
      user: 'deploy',
      host: 'fd00::7',
      port: 2200,
    });
    for (const bad of ['vm1.example.org', 'deploy@', 'deploy@vm1:port', 'a b@vm1'])
      expect(() => parseTargetSpec(bad), bad).toThrow(PipelineError);
  });

  it('refuses a base path that is relative, climbs out, or carries shell syntax', () => {
    for (const base of [
      'srv/mlops',
      '/srv/../etc',
      '/srv/mlops;reboot',
      '/srv/$(id)',
      '/srv/a b',
    ]) {
      const parsed = DeploySettingsSchema.safeParse({ targets: [target], base });
      expect(parsed.success, base).toBe(false);
      expect(parsed.error!.issues[0]!.path, base).toEqual(['base']);
    }
    expect(DeploySettingsSchema.parse({ targets: [target], base: '/srv/mlops-2' }).base).toBe(
      '/srv/mlops-2',
    );
  });

  it('takes host names, IPv4 and IPv6 addresses and POSIX user names, and quotes what it refuses', () => {
    for (const host of ['vm1', 'vm-1.example.org', 'build_box', '10.0.0.7', 'fd00::7'])
      expect(DeploySettingsSchema.safeParse({ targets: [{ ...target, host }] }).success, host).toBe(
        true,
      );
    for (const user of ['deploy', 'a.b', '_svc', 'machine$'])
      expect(DeploySettingsSchema.safeParse({ targets: [{ ...target, user }] }).success, user).toBe(
        true,
      );
    const refused = (t: object) =>
      DeploySettingsSchema.safeParse({ targets: [{ ...target, ...t }] }).error?.issues[0]?.message;
    for (const host of ['vm;reboot', '-oProxyCommand=x', 'vm..example.org', '1.2.3.4:22', ''])
      expect(refused({ host }), host).toBe(
        `${JSON.stringify(host)} is not a host name or IP address`,
      );
    for (const user of ['Root User', '1deploy', 'a;b', 'x'.repeat(33)])
      expect(refused({ user }), user).toBe(`${JSON.stringify(user)} is not a valid user name`);
  });

  it('keeps at least the live release and one to roll back to', () => {
    const parsed = DeploySettingsSchema.safeParse({ targets: [target], keep: 1 });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toMatch(/at least 2/);
  });

  it('fills in the defaults a VM set up as docs/deploy.md describes needs', () => {
    const settings = DeploySettingsSchema.parse({ targets: [target] });
    expect(settings).toMatchObject({
      base: '/srv/mlops',
      service_command: DEFAULT_SERVICE_COMMAND,
      keep: 5,
      readiness: { port: 8080, path: '/readyz' },
      targets: [{ ...target, port: 22 }],
    });
  });
});
