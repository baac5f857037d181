/**
 * Pauses for long synchronous loops (training batches, search trials, benchmark
 * timing). A loop that never yields keeps signal handlers, timers and progress
 * output from running, so Ctrl-C or a cancelled CI job could not stop it. A pause
 * lets them run and is where an abort takes effect. Pausing after every batch
 * would cost a macrotask per step; pausing once `everyMs` have passed costs a
 * clock read per step and one macrotask per interval.
 */
import { setImmediate } from 'node:timers/promises';

export class Yielder {
  private last = performance.now();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly everyMs = 50,
  ) {
    signal?.throwIfAborted();
  }

  /** True when the loop should call `pause()` now. */
  get due(): boolean {
    return performance.now() - this.last >= this.everyMs;
  }

  /** Let the event loop run; throws the signal's reason if it was aborted. */
  async pause(): Promise<void> {
    this.signal?.throwIfAborted();
    await setImmediate();
    this.signal?.throwIfAborted();
    this.last = performance.now();
  }
}
