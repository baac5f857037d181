/**
 * The predictions the server answered, kept by request id so that a later
 * `POST /v1/feedback` can score them. Memory is bounded twice: at most
 * `maxRows` predicted rows are held (the oldest requests go first), and an id
 * older than the window is forgotten when it is looked up.
 */
import type { Prediction } from '../predict/predict.js';

export interface Answer {
  version: string;
  /** Predicted rows: labels (classification) or values (regression). */
  predictions: readonly Prediction[];
  /** The request was a batch: feedback gives an array of true values. */
  batch: boolean;
  at: number;
  scored: boolean;
}

export type Lookup =
  { found: true; answer: Answer } | { found: false; reason: 'unknown' | 'expired' };

export class AnswerStore {
  private readonly answers = new Map<string, Answer>();
  /**
   * Ids in the order they were answered, oldest at `head`: each request has at
   * least one row, so `maxRows` slots hold every kept id. A ring, not the Map's
   * own order: V8 leaves a deleted entry in place until the table is rebuilt,
   * so taking the Map's first entry again and again walks over every earlier
   * deletion (measured: ~10 µs a request once full, against well under 1).
   */
  private readonly order: (string | undefined)[];
  /** The answer each slot was written for: an id answered again leaves a stale slot. */
  private readonly slots: (Answer | undefined)[];
  private head = 0;
  private size = 0;
  private rows = 0;

  constructor(
    private readonly maxRows: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.order = new Array<string | undefined>(maxRows);
    this.slots = new Array<Answer | undefined>(maxRows);
  }

  /** Keep a request's predictions; an id sent again replaces the earlier answer. */
  add(id: string, version: string, predictions: readonly Prediction[], batch: boolean): void {
    this.drop(id);
    if (predictions.length > this.maxRows) return;
    while (
      this.size &&
      (this.rows + predictions.length > this.maxRows || this.size === this.order.length)
    )
      this.evictOldest();
    const answer = { version, predictions, batch, at: this.now(), scored: false };
    this.answers.set(id, answer);
    const slot = (this.head + this.size) % this.order.length;
    this.order[slot] = id;
    this.slots[slot] = answer;
    this.size++;
    this.rows += predictions.length;
  }

  get(id: string): Lookup {
    const answer = this.answers.get(id);
    if (!answer) return { found: false, reason: 'unknown' };
    if (this.now() - answer.at > this.ttlMs) {
      this.drop(id);
      return { found: false, reason: 'expired' };
    }
    return { found: true, answer };
  }

  private evictOldest(): void {
    const id = this.order[this.head];
    const answer = this.slots[this.head];
    this.order[this.head] = undefined;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.order.length;
    this.size--;
    // An id answered again, or dropped, has left its old slot behind: skip it.
    if (id !== undefined && this.answers.get(id) === answer) this.drop(id);
  }

  private drop(id: string): void {
    const answer = this.answers.get(id);
    if (!answer) return;
    this.answers.delete(id);
    this.rows -= answer.predictions.length;
  }
}
