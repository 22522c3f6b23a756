/**
 * The bookkeeping of an iterator that lends its read buffers (`IteratorOptions.borrow`): a read buffer is
 * handed back once every event decoded from it has been handed out and the consumer has asked for the event
 * after it. Events leave the iterator's queue in the order they were decoded, read after read, so a FIFO of
 * per-read counts is enough: nothing is tracked per event. Every read that queued events must be added,
 * also one handed back at once (its release is `alreadyReleased`): the FIFO counts events, and a read left
 * out would make its events settle the next read's.
 */
/** The release of a read that went back already (no event viewed it) but whose events still count. */
export const alreadyReleased = (): void => {};

interface LentRead {
  /** Events of this read not yet settled (handed out and followed by another `next()`). */
  left: number;
  readonly release: () => void;
}

export class LentReads {
  private readonly reads: LentRead[] = [];
  private head = 0;
  /** An event was handed out and its read is held until the consumer asks for the next one. */
  private outstanding = false;

  /**
   * A read whose `events` events were just queued, after those of every earlier read. `release` hands its
   * buffer back; a read that gave no event is released at once.
   */
  add(events: number, release: () => void): void {
    if (events === 0) release();
    else this.reads.push({ left: events, release });
  }

  /** The consumer asked for another event: the one handed out before is done with. */
  settle(): void {
    if (!this.outstanding) return;
    this.outstanding = false;
    const read = this.reads[this.head];
    if (read === undefined || --read.left > 0) return;
    this.reads[this.head++] = undefined as never;
    if (this.head === this.reads.length) {
      this.reads.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.reads.splice(0, this.head);
      this.head = 0;
    }
    read.release();
  }

  /** An event of the oldest unsettled read was handed out. */
  handedOut(): void {
    this.outstanding = true;
  }

  /** The queue was dropped (a failure, or close): nothing is released, the collector takes the buffers. */
  clear(): void {
    this.reads.length = 0;
    this.head = 0;
    this.outstanding = false;
  }

  /** Reads held (queued events, or the last event handed out), for tests. */
  get held(): number {
    return this.reads.length - this.head;
  }
}
