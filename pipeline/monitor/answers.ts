/**
 * The predictions the server answered, kept by request id so that a later
 * `POST /v1/feedback` can score them. Memory is bounded twice: at most
 * `maxRows` predicted rows are held (the oldest requests go first), and an id
 * older than the window is forgotten when it is looked up. A Map keeps
 * insertion order, which makes it the queue as well as the index.
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
  private rows = 0;

  constructor(
    private readonly maxRows: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keep a request's predictions; an id sent again replaces the earlier answer. */
  add(id: string, version: string, predictions: readonly Prediction[], batch: boolean): void {
    this.drop(id);
    this.answers.set(id, { version, predictions, batch, at: this.now(), scored: false });
    this.rows += predictions.length;
    for (const [oldest, answer] of this.answers) {
      if (this.rows <= this.maxRows) break;
      this.answers.delete(oldest);
      this.rows -= answer.predictions.length;
    }
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

  private drop(id: string): void {
    const answer = this.answers.get(id);
    if (!answer) return;
    this.answers.delete(id);
    this.rows -= answer.predictions.length;
  }
}
