/**
 * Bounds the log reads the API makes at once: each request that reads record batches holds one of
 * `concurrent` slots for the duration of its read (at most its `maxBytes` in memory), and at most `queued`
 * requests wait for one; more are answered 503 at once. So the console's memory is bounded by
 * concurrent × maxBytes whatever the number of HTTP clients, and Kafka fetches keep the disk.
 */
import { ApiError } from './api-error.js';

export class ReadGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrent: number,
    readonly queued: number,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrent) {
      if (this.waiting.length >= this.queued) {
        throw new ApiError(503, `too many record reads in progress (${this.concurrent} running, ${this.queued} waiting); retry shortly`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter (active stays the same), or is given back.
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
