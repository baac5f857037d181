/**
 * SIGINT and SIGTERM for commands whose work can stop part-way (training, a
 * search, benchmark timing). The first signal aborts the AbortSignal the work was
 * given: training stops at its next pause, within about 50 ms, and since files
 * are only written once a stage has finished, nothing half-done is left. The
 * command then ends with 128 + the signal's number (130, 143), the status a shell
 * reports for a process the signal ended.
 *
 * Work that does not take the signal (reading a large data file, a benchmark's
 * HTTP load) is cut short after GRACE_MS, as the signal's default would have cut
 * it at once; a second signal ends the process at once too.
 *
 * Only these commands listen: for the others a signal keeps its default effect
 * (or their own handling, as `mlops serve` drains its requests).
 */
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
type SignalName = keyof typeof SIGNALS;
const GRACE_MS = 1000;

export class Interrupted extends Error {
  override readonly name = 'Interrupted';

  constructor(readonly signal: SignalName) {
    super(`stopped by ${signal}`);
  }

  get exitCode(): number {
    return 128 + SIGNALS[this.signal];
  }
}

export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: SignalName | undefined;
  const handlers = (Object.keys(SIGNALS) as SignalName[]).map((name) => {
    const handler = () => {
      const stop = new Interrupted(name);
      const exit = () => {
        process.stderr.write(`${stop.message}\n`);
        process.exit(stop.exitCode);
      };
      if (received) exit();
      received = name;
      setTimeout(exit, GRACE_MS).unref();
      controller.abort(stop);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    const result = await work(controller.signal);
    // The work finished before it saw the signal: the status still says it came.
    if (received) throw new Interrupted(received);
    return result;
  } catch (error) {
    throw received ? new Interrupted(received) : error;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}
