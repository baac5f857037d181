/**
 * Requests that arrive together are predicted together. The network costs
 * about the same for one row as for a few dozen (the time goes to dispatching
 * ops, not arithmetic), so rows queued during one turn of the event loop are
 * run through it in one call at the next turn. Each request's rows are still
 * validated on their own, so one bad request never fails its neighbours.
 */
import type { Prediction } from '../predict/predict.js';
import { decodeOutputs } from '../predict/predict.js';
import { encodeRows, type FieldError } from '../prepare/preprocess.js';
import { predictMatrix } from '../train/fit.js';
import type { ModelSlot } from './model-slot.js';

export type BatchOutcome =
  | { ok: true; version: string; predictions: Prediction[] }
  | { ok: false; version: string; errors: FieldError[] }
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
      if (!group.length) return;
      const x = new Float32Array(groupRows * pre.inputSize);
      let offset = 0;
      for (const g of group) {
        x.set(g.x, offset * pre.inputSize);
        offset += g.pending.rows.length;
      }
      let out: Float32Array;
      try {
        out = predictMatrix(model.bundle.network, x, groupRows, pre.inputSize);
      } catch (error) {
        for (const g of group) g.pending.reject(error);
        group = [];
        groupRows = 0;
        return;
      }
      offset = 0;
      for (const g of group) {
        const n = g.pending.rows.length;
        g.pending.resolve({
          ok: true,
          version: model.version,
          predictions: decodeOutputs(pre, out, offset, n),
        });
        offset += n;
      }
      group = [];
      groupRows = 0;
    };
    for (const pending of queue) {
      const { x, errors } = encodeRows(pre, pending.rows);
      if (errors.length) {
        pending.resolve({ ok: false, version: model.version, errors });
        continue;
      }
      if (groupRows + pending.rows.length > this.maxBatchRows) run();
      group.push({ pending, x });
      groupRows += pending.rows.length;
    }
    run();
  }
}
