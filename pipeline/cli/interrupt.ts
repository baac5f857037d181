/**
 * SIGINT and SIGTERM for commands whose work can stop part-way (training, a
 * search). The first signal aborts the AbortSignal the work was given: training
 * stops at its next pause, within about 50 ms, and since files are only written
 * once a stage has finished, nothing half-done is left. The command then ends
 * with 128 + the signal's number (130, 143), the status a shell reports for a
 * process the signal ended. A second signal ends the process at once.
 *
 * Only these commands listen: for the others a signal keeps its default effect
 * (or their own handling, as `mlops serve` drains its requests).
 */
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
type SignalName = keyof typeof SIGNALS;

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
      if (received) process.exit(128 + SIGNALS[name]);
      received = name;
      controller.abort(new Interrupted(name));
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
