/**
 * In-process inference timing: the time `predictRows` takes for one row and for
 * a batch, from feature values to predictions (validation and encoding included),
 * as a server pays it per request.
 */
import type { ModelBundle } from '../model/load.js';
import { predictRows } from '../predict/predict.js';
import { Yielder } from '../train/yielder.js';
import { summarize, type Latency } from './stats.js';

export interface Timed {
  latency: Latency;
  /** Rows predicted per second over the timed calls. */
  rows_per_s: number;
}

export interface InProcessOptions {
  /** Calls timed for each of single rows and batches. */
  iterations: number;
  batchSize: number;
  /** Untimed calls first, so the JIT and caches are warm. */
  warmup: number;
  /** Stops the measurement at its next pause, throwing the signal's reason. */
  signal?: AbortSignal;
}

async function timeCalls(
  bundle: ModelBundle,
  rows: readonly unknown[],
  size: number,
  options: InProcessOptions,
): Promise<Timed> {
  const count = Math.max(1, Math.floor(rows.length / size));
  const batches = Array.from({ length: count }, (_, i) => rows.slice(i * size, (i + 1) * size));
  const call = (i: number) => {
    const outcome = predictRows(bundle, batches[i % count]!);
    if (!outcome.ok) throw new Error(`benchmark rows were rejected: ${outcome.errors[0]?.message}`);
  };
  // Pauses fall between timed calls, and their time is left out of the throughput.
  const yielder = new Yielder(options.signal);
  let paused = 0;
  const pause = async () => {
    const t = performance.now();
    await yielder.pause();
    paused += performance.now() - t;
  };
  for (let i = 0; i < options.warmup; i++) {
    if (yielder.due) await pause();
    call(i);
  }
  const samples: number[] = [];
  const begin = performance.now();
  paused = 0;
  for (let i = 0; i < options.iterations; i++) {
    if (yielder.due) await pause();
    const t = performance.now();
    call(i);
    samples.push(performance.now() - t);
  }
  const seconds = (performance.now() - begin - paused) / 1000;
  return { latency: summarize(samples), rows_per_s: (options.iterations * size) / seconds };
}

export async function measureInProcess(
  bundle: ModelBundle,
  rows: readonly unknown[],
  options: InProcessOptions,
): Promise<{ single: Timed; batch: Timed }> {
  return {
    single: await timeCalls(bundle, rows, 1, options),
    batch: await timeCalls(bundle, rows, options.batchSize, options),
  };
}
