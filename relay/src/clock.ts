/** Where the relay reads the time. Tests pass a clock they can move forward. */
export interface Clock {
  now(): Date;
  /**
   * Calls `fn` once, as soon as the clock reads `at` or later (soon after
   * this call if it already does); returns what cancels it. The grant clock
   * (workers.ts) sleeps on it until the next grant is due.
   */
  at(at: Date, fn: () => void): () => void;
}

/** The longest a single setTimeout may wait (about 24.8 days); a later time is reached in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  at(at, fn) {
    let timer: NodeJS.Timeout;
    // A timer may fire a millisecond before Date.now() reaches `at` (it runs on the monotonic clock): checked, and armed again.
    const arm = () => {
      const ms = at.getTime() - Date.now();
      timer = setTimeout(ms > 0 ? arm : fn, Math.min(Math.max(ms, 0), MAX_TIMEOUT_MS));
    };
    arm();
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when told to: `at` callbacks run when `advance` reaches their time. */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Set<{ at: number; fn: () => void }>();
  constructor(start: Date | number = Date.now()) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#now);
  }
  at(at: Date, fn: () => void): () => void {
    const timer = { at: at.getTime(), fn };
    this.#timers.add(timer);
    if (timer.at <= this.#now) queueMicrotask(() => this.#fire());
    return () => this.#timers.delete(timer);
  }
  advance(ms: number): void {
    this.#now += ms;
    this.#fire();
  }
  /** The earliest time a callback waits for (null: none waits), so a test can see what a sleeper waits for. */
  get nextTimer(): Date | null {
    let min: number | null = null;
    for (const t of this.#timers) if (min === null || t.at < min) min = t.at;
    return min === null ? null : new Date(min);
  }
  #fire(): void {
    const due = [...this.#timers].filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    for (const t of due) {
      this.#timers.delete(t);
      t.fn();
    }
  }
}
