import { numberTimestamp, sortByTime, type TimeKey, type Timestamp } from './timestamp.js';

/** One change to a count: `(time, delta)`. */
export type Update<T> = readonly [T, number];

/**
 * A compacting list of count changes, as Timely's `ChangeBatch`: once compacted its updates are sorted by
 * time (a linear extension of the order, so an advance `0 → 1` reads `[(0,-1), (1,+1)]`, negative first),
 * equal times are merged and zero deltas dropped. Updates are appended cheaply and compacted lazily, when
 * read or when the uncompacted tail outgrows the compacted head.
 */
export class ChangeBatch<T> {
  private updates: [T, number][] = [];
  /** How many leading entries are known to be compacted. */
  private clean = 0;

  constructor(readonly order: Timestamp<T> = numberTimestamp as unknown as Timestamp<T>) {}

  /** Adds `delta` to the count at `time`. */
  update(time: T, delta: number): void {
    if (delta === 0) return;
    this.updates.push([time, delta]);
    if (this.updates.length > 32 && this.updates.length > 2 * this.clean) this.compact();
  }

  /** Adds every update of `updates`. */
  extend(updates: Iterable<Update<T>>): void {
    for (const [time, delta] of updates) this.update(time, delta);
  }

  /** True when the net effect of all updates is nothing. */
  isEmpty(): boolean {
    if (this.clean === 0 && this.updates.length === 0) return true;
    this.compact();
    return this.updates.length === 0;
  }

  /** Number of distinct times with a non-zero net change. */
  get length(): number {
    this.compact();
    return this.updates.length;
  }

  /** The compacted updates, without taking them. Do not mutate the result. */
  peek(): readonly Update<T>[] {
    this.compact();
    return this.updates;
  }

  /** Takes the compacted updates and leaves the batch empty. */
  drain(): [T, number][] {
    this.compact();
    const out = this.updates;
    this.updates = [];
    this.clean = 0;
    return out;
  }

  clear(): void {
    this.updates = [];
    this.clean = 0;
  }

  /** Sorts, merges equal times and drops zeros. */
  compact(): void {
    const updates = this.updates;
    const n = updates.length;
    if (this.clean === n) return;
    if (n === 1) {
      this.clean = 1;
      return;
    }
    const order = this.order;
    if (order.compare) {
      sortByTime(order, updates, (u) => u[0]);
      // compare is 0 only for equal times, so equal times are now adjacent.
      let write = 0;
      const key = (t: T): TimeKey => order.key(t);
      for (let read = 0; read < n; read++) {
        const u = updates[read] as [T, number];
        const last = write > 0 ? (updates[write - 1] as [T, number]) : undefined;
        if (last !== undefined && key(last[0]) === key(u[0])) {
          last[1] += u[1];
          if (last[1] === 0) write--;
        } else {
          updates[write++] = u;
        }
      }
      updates.length = write;
    } else {
      const merged = new Map<TimeKey, [T, number]>();
      for (const [time, delta] of updates) {
        const k = order.key(time);
        const entry = merged.get(k);
        if (entry) entry[1] += delta;
        else merged.set(k, [time, delta]);
      }
      const kept = [...merged.values()].filter((u) => u[1] !== 0);
      this.updates = sortByTime(order, kept, (u) => u[0]);
    }
    this.clean = this.updates.length;
  }
}

/** Compacts a list of updates into a new sorted, merged, zero-free array (see {@link ChangeBatch}). */
export function compactUpdates<T>(order: Timestamp<T>, updates: Iterable<Update<T>>): [T, number][] {
  const batch = new ChangeBatch(order);
  batch.extend(updates);
  return batch.drain();
}
