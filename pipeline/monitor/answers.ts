/**
 * The predictions the server answered, kept by request id so that a later
 * `POST /v1/feedback` can score them. Memory is bounded twice: at most
 * `maxRows` predicted rows are held (the oldest requests go first), and an id
 * older than the window is forgotten when it is looked up.
 *
 * Kept in preallocated columns, not an object a request: what feedback needs
 * of a row is its label or its value, and thousands of small objects held for
 * seconds outlive the young generation, so every request would leave work for
 * the garbage collector (measured: CPU a request up ~10% under load). A
 * request adds one Map entry; a batch of several rows adds one array too.
 */
import type { Prediction } from '../predict/predict.js';

export interface Answer {
  version: string;
  /** Predicted rows: each one's label (classification) or value (regression). */
  predicted: readonly (string | number)[];
  /** The request was a batch: feedback gives an array of true values. */
  batch: boolean;
  at: number;
  scored: boolean;
}

export type Lookup =
  { found: true; answer: Answer } | { found: false; reason: 'unknown' | 'expired' };

const BATCH = 1;
const SCORED = 2;

export class AnswerStore {
  /** Slot of each kept id. */
  private readonly answers = new Map<string, number>();
  /**
   * Slots in the order they were answered, oldest at `head`: each request has
   * at least one row, so `maxRows` slots hold every kept id. A ring, not the
   * Map's own order: V8 leaves a deleted entry in place until the table is
   * rebuilt, so taking the Map's first entry again and again walks over every
   * earlier deletion (measured: ~10 µs a request once full, against well under 1).
   * An id answered again leaves its old slot behind, which eviction skips.
   */
  private readonly ids: (string | undefined)[];
  private readonly versions: (string | undefined)[];
  private readonly at: Float64Array;
  private readonly flags: Uint8Array;
  private readonly counts: Uint32Array;
  /** The one row of a single-row answer: its label, or else its value. */
  private readonly labels: (string | undefined)[];
  private readonly values: Float64Array;
  /** The rows of an answer with several. */
  private readonly many: (readonly (string | number)[] | undefined)[];
  private head = 0;
  private size = 0;
  private rows = 0;

  constructor(
    private readonly maxRows: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ids = new Array<string | undefined>(maxRows).fill(undefined);
    this.versions = new Array<string | undefined>(maxRows).fill(undefined);
    this.labels = new Array<string | undefined>(maxRows).fill(undefined);
    this.many = new Array<readonly (string | number)[] | undefined>(maxRows).fill(undefined);
    this.at = new Float64Array(maxRows);
    this.flags = new Uint8Array(maxRows);
    this.counts = new Uint32Array(maxRows);
    this.values = new Float64Array(maxRows);
  }

  /** Keep a request's predictions; an id sent again replaces the earlier answer. */
  add(id: string, version: string, predictions: readonly Prediction[], batch: boolean): void {
    this.drop(id);
    const n = predictions.length;
    if (n > this.maxRows) return;
    while (this.size && (this.rows + n > this.maxRows || this.size === this.ids.length))
      this.evictOldest();
    const slot = (this.head + this.size) % this.ids.length;
    this.ids[slot] = id;
    this.versions[slot] = version;
    this.at[slot] = this.now();
    this.flags[slot] = batch ? BATCH : 0;
    this.counts[slot] = n;
    if (n === 1) {
      const p = predictions[0]!;
      if ('label' in p) this.labels[slot] = p.label;
      else this.values[slot] = p.value;
    } else this.many[slot] = predictions.map((p) => ('label' in p ? p.label : p.value));
    this.answers.set(id, slot);
    this.size++;
    this.rows += n;
  }

  get(id: string): Lookup {
    const slot = this.answers.get(id);
    if (slot === undefined) return { found: false, reason: 'unknown' };
    if (this.now() - this.at[slot]! > this.ttlMs) {
      this.drop(id);
      return { found: false, reason: 'expired' };
    }
    const n = this.counts[slot]!;
    const label = this.labels[slot];
    return {
      found: true,
      answer: {
        version: this.versions[slot]!,
        predicted: n === 1 ? [label ?? this.values[slot]!] : (this.many[slot] ?? []),
        batch: (this.flags[slot]! & BATCH) !== 0,
        at: this.at[slot]!,
        scored: (this.flags[slot]! & SCORED) !== 0,
      },
    };
  }

  /** The answer to `id` got its feedback: a second one is refused. */
  score(id: string): void {
    const slot = this.answers.get(id);
    if (slot !== undefined) this.flags[slot]! |= SCORED;
  }

  private evictOldest(): void {
    const slot = this.head;
    const id = this.ids[slot];
    // An id answered again, or dropped, has left its old slot behind: skip it.
    if (id !== undefined && this.answers.get(id) === slot) this.drop(id);
    this.clear(slot);
    this.head = (this.head + 1) % this.ids.length;
    this.size--;
  }

  private drop(id: string): void {
    const slot = this.answers.get(id);
    if (slot === undefined) return;
    this.answers.delete(id);
    this.rows -= this.counts[slot]!;
  }

  /** Let go of what a slot references; its numbers are overwritten when it is reused. */
  private clear(slot: number): void {
    this.ids[slot] = undefined;
    this.versions[slot] = undefined;
    this.labels[slot] = undefined;
    this.many[slot] = undefined;
  }
}
