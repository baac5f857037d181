/**
 * Requests that arrive together are predicted together. The network costs
 * about the same for one row as for a few dozen (the time goes to dispatching
 * ops, not arithmetic), so rows queued during one turn of the event loop are
 * run through it in one call at the next turn. Each request's rows are still
 * validated on their own, so one bad request never fails its neighbours.
 *
 * The flush runs in a setImmediate callback, where an uncaught throw would end
 * the process: every step that touches a request is guarded, and a failure
 * answers only the requests it concerns.
 */
import { predictMatrix } from '../model/predict-matrix.js';
import type { Prediction } from '../predict/predict.js';
import { decodeOutputs, NON_FINITE_MESSAGE, nonFiniteRows } from '../predict/predict.js';
import { encodeRows, type FieldError } from '../prepare/preprocess.js';
import type { ModelSlot } from './model-slot.js';

export type BatchOutcome =
  | { ok: true; version: string; predictions: Prediction[] }
  /** invalid: the rows do not fit the model's features; non_finite: the model gave NaN or ±Infinity for them. */
  | { ok: false; version: string; reason: 'invalid' | 'non_finite'; errors: FieldError[] }
  | { ok: false; version: null; notReady: string };

interface Pending {
  rows: readonly unknown[];
  resolve: (outcome: BatchOutcome) => void;
  reject: (error: unknown) => void;
}

export class PredictBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly slot: ModelSlot,
    /** Most rows in one network call; a larger queue is split. */
    private readonly maxBatchRows = 512,
  ) {}

  predict(rows: readonly unknown[]): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    try {
      this.predictQueue(queue);
    } catch (error) {
      // A fault of ours outside any one request: fail them all (settled ones
      // ignore it), never the process.
      for (const p of queue) p.reject(error);
    }
  }

  private predictQueue(queue: readonly Pending[]): void {
    // One synchronous pass from reading the slot to resolving: a reload cannot
    // swap (or dispose) the model in the middle of it.
    const model = this.slot.current;
    if (!model) {
      const notReady = `no model loaded${this.slot.error ? `: ${this.slot.error}` : ''}`;
      for (const p of queue) p.resolve({ ok: false, version: null, notReady });
      return;
    }
    const pre = model.bundle.preprocess;
    let group: { pending: Pending; x: Float32Array }[] = [];
    let groupRows = 0;
    const run = () => {
      const members = group;
      const rows = groupRows;
      group = [];
      groupRows = 0;
      if (!members.length) return;
      let out: Float32Array;
      try {
        const x = new Float32Array(rows * pre.inputSize);
        let offset = 0;
        for (const g of members) {
          x.set(g.x, offset * pre.inputSize);
          offset += g.pending.rows.length;
        }
        out = predictMatrix(model.bundle.network, x, rows, pre.inputSize);
      } catch (error) {
        for (const g of members) g.pending.reject(error);
        return;
      }
      let offset = 0;
      for (const g of members) {
        const n = g.pending.rows.length;
        try {
          const predictions = decodeOutputs(pre, out, offset, n);
          const bad = nonFiniteRows(predictions);
          g.pending.resolve(
            bad.length
              ? {
                  ok: false,
                  version: model.version,
                  reason: 'non_finite',
                  errors: bad.map((row) => ({ row, field: '', message: NON_FINITE_MESSAGE })),
                }
              : { ok: true, version: model.version, predictions },
          );
        } catch (error) {
          g.pending.reject(error);
        }
        offset += n;
      }
    };
    for (const pending of queue) {
      let encoded: ReturnType<typeof encodeRows>;
      try {
        encoded = encodeRows(pre, pending.rows);
      } catch (error) {
        pending.reject(error);
        continue;
      }
      if (encoded.errors.length) {
        pending.resolve({
          ok: false,
          version: model.version,
          reason: 'invalid',
          errors: encoded.errors,
        });
        continue;
      }
      if (groupRows + pending.rows.length > this.maxBatchRows) run();
      group.push({ pending, x: encoded.x });
      groupRows += pending.rows.length;
    }
    run();
  }
}
