/**
 * What a partition's commit needs: the first offset whose record's time the frontier has not passed. Only
 * records whose time is above every earlier record's are kept (a record behind an earlier, later-timed one
 * is complete whenever that one is), so memory is bounded by the distinct times ahead of the frontier, not
 * by the records: one far-future timestamp does not make every later record stay.
 */
export class PendingOffsets {
  private readonly offsets: bigint[] = [];
  private readonly times: number[] = [];
  private head = 0;
  private highest = -Infinity;
  next = -1n;

  add(offset: bigint, time: number): void {
    if (time > this.highest) {
      this.highest = time;
      this.offsets.push(offset);
      this.times.push(time);
    }
    this.next = offset + 1n;
  }

  /** How many records are kept (for the memory test). */
  get kept(): number {
    return this.offsets.length - this.head;
  }

  /** The first offset whose record is not complete at `frontier`, or the next offset if all are. */
  completeAt(frontier: number): bigint {
    while (this.head < this.offsets.length && (this.times[this.head] as number) < frontier) this.head++;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.head < this.offsets.length ? (this.offsets[this.head] as bigint) : this.next;
  }
}
