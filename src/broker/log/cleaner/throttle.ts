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
 * How much CPU work the cleaner does between two yields: 64 KiB of batches or 500 records, whichever comes
 * first (records count because compressed batches inflate to many more of them than their bytes suggest).
 * About a millisecond of decoding on an idle core, so produce and fetch wait at most that long behind it.
 */
export class YieldBudget {
  private bytes = 0;
  private records = 0;

  async spend(bytes: number, records: number): Promise<void> {
    this.bytes += bytes;
    this.records += records;
    if (this.bytes < 64 * 1024 && this.records < 500) return;
    this.bytes = 0;
    this.records = 0;
    await yieldToLoop();
  }
}
