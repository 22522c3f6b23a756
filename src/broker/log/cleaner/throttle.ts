/**
 * Bounds the cleaner's I/O (Kafka's log.cleaner.io.max.bytes.per.second): after each chunk of bytes read
 * or written, waits until the running average is back under the rate. Waiting is a timer, so the event
 * loop stays free.
 */
export class Throttle {
  private started = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number) {}

  async account(n: number): Promise<void> {
    if (!(this.bytesPerSecond > 0) || this.bytesPerSecond === Infinity) return;
    this.bytes += n;
    const dueMs = (this.bytes / this.bytesPerSecond) * 1000;
    const elapsed = Date.now() - this.started;
    if (dueMs > elapsed) await new Promise((r) => setTimeout(r, dueMs - elapsed));
  }
}

/** Lets other work of the event loop run (between batches of CPU work). */
export function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Batch bytes the cleaner decodes between two yields: about a millisecond of decoding, so produce and fetch
 * handlers wait at most that long behind the cleaner.
 */
export const YIELD_EVERY_BYTES = 256 * 1024;
