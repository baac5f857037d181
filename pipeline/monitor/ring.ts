/**
 * Counts over a sliding window in fixed memory: a ring of buckets (one per
 * minute over an hour, by default), each a row of `slots` numbers. Adding
 * touches the current bucket only; a bucket is zeroed when the clock moves
 * into it again, so counts older than the window fall out by themselves.
 * Written here because the prom-client summaries' sliding windows keep
 * quantiles of one value, not tallies over many bins.
 */
export interface WindowOptions {
  /** Length of the window in milliseconds. */
  windowMs: number;
  /** Buckets the window is cut into: the resolution counts expire at. */
  buckets: number;
  /** The clock, in milliseconds (Date.now unless a caller drives time). */
  now?: () => number;
}

export class BucketRing {
  readonly data: Float64Array;
  private readonly bucketMs: number;
  private readonly now: () => number;
  /** Index (time / bucketMs) of the newest bucket written. */
  private tick: number;

  constructor(
    readonly slots: number,
    readonly options: WindowOptions,
  ) {
    this.data = new Float64Array(slots * options.buckets);
    this.bucketMs = options.windowMs / options.buckets;
    this.now = options.now ?? Date.now;
    this.tick = Math.floor(this.now() / this.bucketMs);
  }

  /** Zero the buckets the clock has moved past since the last call. */
  private advance(): number {
    const tick = Math.floor(this.now() / this.bucketMs);
    const { buckets } = this.options;
    if (tick > this.tick) {
      const steps = Math.min(tick - this.tick, buckets);
      for (let t = tick - steps + 1; t <= tick; t++) {
        const start = (t % buckets) * this.slots;
        this.data.fill(0, start, start + this.slots);
      }
      this.tick = tick;
    }
    return (this.tick % buckets) * this.slots;
  }

  /** Offset of the current bucket's first slot in `data`: add at offset + slot. */
  current(): number {
    return this.advance();
  }

  /** Every slot summed over the window. */
  totals(): Float64Array {
    this.advance();
    const out = new Float64Array(this.slots);
    for (let b = 0; b < this.options.buckets; b++) {
      const start = b * this.slots;
      for (let s = 0; s < this.slots; s++) out[s]! += this.data[start + s]!;
    }
    return out;
  }
}
