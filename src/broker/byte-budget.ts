/**
 * A number of bytes shared by several holders: `take` succeeds while what is held stays within the limit,
 * otherwise the taker waits in line (first come, first served: a large request is not starved by small
 * ones arriving after it). A single request larger than the whole limit is granted once nothing else is
 * held, so it proceeds alone instead of waiting forever.
 *
 * Taking and giving are synchronous and allocate nothing while the budget has room (the common case on the
 * fetch path); only a taker that has to wait gets a promise.
 */

interface Waiter {
  bytes: number;
  grant: () => void;
  /** Set once the waiter gave up (its connection closed): skipped when it reaches the head. */
  cancelled: boolean;
}

export class ByteBudget {
  private held = 0;
  private readonly line: Waiter[] = [];
  private head = 0;

  constructor(readonly limit: number) {}

  /** Bytes taken and not yet given back. */
  get used(): number {
    return this.held;
  }

  /** Takers waiting in line. */
  get waiting(): number {
    return this.line.length - this.head;
  }

  /** Takes `bytes` now if that fits (or nothing else is held) and nobody is waiting; else false. */
  tryTake(bytes: number): boolean {
    if (this.waiting > 0 || !this.fits(bytes)) return false;
    this.held += bytes;
    return true;
  }

  /**
   * Takes `bytes`: null when taken at once, else a promise that resolves once they are taken. If `signal`
   * aborts first, the promise resolves with `false` and nothing is taken.
   */
  take(bytes: number, signal?: AbortSignal): Promise<boolean> | null {
    if (this.tryTake(bytes)) return null;
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        waiter.cancelled = true;
        resolve(false);
        this.grantWaiting(); // the head may have been this waiter, blocking smaller ones behind it
      };
      const waiter: Waiter = {
        bytes,
        cancelled: false,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      this.line.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Takes `bytes` whatever the limit says (memory already in use that must be counted). */
  force(bytes: number): void {
    this.held += bytes;
  }

  /** Gives `bytes` back and lets waiters in. */
  give(bytes: number): void {
    this.held -= bytes;
    if (this.held < 0) this.held = 0;
    if (this.line.length > this.head) this.grantWaiting();
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limit;
  }

  private grantWaiting(): void {
    while (this.head < this.line.length) {
      const w = this.line[this.head]!;
      if (!w.cancelled) {
        if (!this.fits(w.bytes)) break;
        this.held += w.bytes;
        w.grant();
      }
      this.line[this.head++] = undefined as unknown as Waiter;
    }
    if (this.head === this.line.length) {
      this.line.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.line.length) {
      this.line.splice(0, this.head);
      this.head = 0;
    }
  }
}
