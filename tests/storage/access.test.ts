import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { accessFromEnv } from '../../pipeline/storage/access.js';
import { classify } from '../../pipeline/storage/failure.js';

describe('GCS access from the environment', () => {
  it('takes a key as JSON, and an emulator endpoint with or without a scheme', () => {
    const key = { type: 'service_account', client_email: 'ci@p.iam.gserviceaccount.com' };
    expect(
      accessFromEnv({
        MLOPS_GCS_CREDENTIALS: JSON.stringify(key),
        STORAGE_EMULATOR_HOST: '127.0.0.1:4443',
      }),
    ).toEqual({ gcs: { credentials: key, apiEndpoint: 'http://127.0.0.1:4443' } });
    expect(accessFromEnv({})).toEqual({ gcs: {} });
  });

  it('names a bad variable without printing the secret in it', () => {
    const error = (() => {
      try {
        accessFromEnv({ MLOPS_GCS_CREDENTIALS: '{"private_key": "-----BEGIN' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toBe('MLOPS_GCS_CREDENTIALS is not valid JSON');
    expect(() =>
      accessFromEnv({ GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' }),
    ).toThrow('GOOGLE_APPLICATION_CREDENTIALS names /nonexistent/key.json, which cannot be read');
  });

  it('retries 429, 5xx and dropped connections, not 404 or 403', () => {
    expect(classify({ code: 429, message: 'slow down' }, 'x').kind).toBe('transient');
    expect(classify({ code: 503, message: 'unavailable' }, 'x').kind).toBe('transient');
    expect(
      classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'x').kind,
    ).toBe('transient');
    expect(classify({ code: 404, message: 'No such object' }, 'x').kind).toBe('missing');
    expect(classify({ code: 403, message: 'denied' }, 'x').kind).toBe('denied');
  });
});
