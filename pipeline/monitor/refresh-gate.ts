/**
 * At most one data-refresh request per window: one incident (a feature that
 * stays drifted for hours, Alertmanager repeating its notification, a second
 * feature joining the group) is one request. A request in flight holds the
 * window too, so two notifications arriving together send one; a request that
 * failed gives it back, so the next notification (Alertmanager retries) sends.
 */
export type GateAnswer = { ok: true } | { ok: false; reason: 'in_flight' | 'sent'; next?: Date };

export class RefreshGate {
  private pending = false;

  constructor(
    readonly windowMs: number,
    /** When the last request was sent (from a state file, across restarts). */
    private sentAt?: number,
  ) {}

  get lastSent(): Date | undefined {
    return this.sentAt === undefined ? undefined : new Date(this.sentAt);
  }

  /** Take the window's one request, or say why not. */
  acquire(now: number): GateAnswer {
    if (this.pending) return { ok: false, reason: 'in_flight' };
    if (this.sentAt !== undefined && now - this.sentAt < this.windowMs)
      return { ok: false, reason: 'sent', next: new Date(this.sentAt + this.windowMs) };
    this.pending = true;
    return { ok: true };
  }

  /** The request taken by acquire() was sent (at `now`), or failed (undefined). */
  settle(now: number | undefined): void {
    this.pending = false;
    if (now !== undefined) this.sentAt = now;
  }
}
