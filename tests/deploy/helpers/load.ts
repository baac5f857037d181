/**
 * Predictions sent the whole time a deploy runs (autocannon): a penguin row to
 * POST /v1/predict with the bearer token, bounded in time, with every answer's
 * model version tallied in the order they came.
 */
import autocannon from 'autocannon';

/** How long a test waits for the answers it expects from the load. */
const WAIT_SECONDS = 60;

export interface LoadResult {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Model versions of the 2xx answers, in arrival order. */
  versions: string[];
}

export interface Load {
  /** Resolves once `count` answers have named `version`. */
  waitFor(version: string, count: number): Promise<void>;
  stop(): Promise<LoadResult>;
}

const ROW = {
  Island: 'Biscoe',
  'Beak Length (mm)': 45.1,
  'Beak Depth (mm)': 14.5,
  'Flipper Length (mm)': 215,
  'Body Mass (g)': 5000,
  Sex: 'FEMALE',
};

export function startLoad(target: { servicePort: number; token: string }, maxSeconds = 90): Load {
  const versions: string[] = [];
  const waiters: {
    version: string;
    count: number;
    resolve: () => void;
    reject: (error: Error) => void;
  }[] = [];
  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${target.servicePort}`,
      connections: 4,
      // A steady stream rather than a flood: two shared cores also run sshd and the deploy.
      overallRate: 200,
      duration: maxSeconds,
      timeout: 10,
      requests: [
        {
          method: 'POST',
          path: '/v1/predict',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${target.token}`,
          },
          body: JSON.stringify(ROW),
          onResponse: (status: number, body: string) => {
            if (status < 200 || status >= 300) return;
            versions.push((JSON.parse(body) as { model_version: string }).model_version);
            for (const w of waiters)
              if (versions.filter((v) => v === w.version).length >= w.count) w.resolve();
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result) => {
      // A waiter still waiting when the load ends would otherwise wait for the test timeout.
      for (const w of waiters)
        w.reject(new Error(`load ended before ${w.count} answers named model ${w.version}`));
      if (error) fail(error);
      else finish(result);
    },
  );
  return {
    waitFor(version, count) {
      const waited = new Promise<void>((resolve, reject) => {
        waiters.push({ version, count, resolve, reject });
        if (versions.filter((v) => v === version).length >= count) resolve();
      });
      // Fail with what the load did see rather than at the test's timeout, silently.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const seen = [...new Set(versions)].map(
            (v) => `${v} ×${versions.filter((x) => x === v).length}`,
          );
          reject(
            new Error(
              `no ${count} answers named model ${version} within ${WAIT_SECONDS} s; answers so far: ${seen.join(', ') || 'none'}`,
            ),
          );
        }, WAIT_SECONDS * 1000);
      });
      return Promise.race([waited, deadline]).finally(() => clearTimeout(timer));
    },
    async stop() {
      instance.stop();
      const result = await done;
      return {
        requests: result.requests.total,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        versions,
      };
    },
  };
}
