/**
 * Capability counts per time and the frontier they imply (the minimal times with a positive count).
 * Applying a batch of count changes reports how the frontier moved, as Timely's
 * `MutableAntichain::update_iter` does: -1 for each time that left it, +1 for each time that entered it.
 * Used by capture (to turn input progress into compacted frontier changes) and by replay (to merge streams).
 */
import { sortByTime, type TimeKey, type Timestamp } from './timestamp.js';

/** A count went below zero: more capabilities were released than were held. */
export class NegativeCountError extends Error {
  override readonly name = 'NegativeCountError';
  constructor(readonly time: unknown, readonly count: number) {
    super(`the count at time ${JSON.stringify(time)} would drop to ${count}`);
  }
}

interface Entry<T> {
  time: T;
  count: number;
}

export class FrontierCounts<T> {
  private readonly counts = new Map<TimeKey, Entry<T>>();
  private current: T[] = [];

  constructor(private readonly order: Timestamp<T>) {}

  /** The current frontier: the minimal times with a positive count. */
  frontier(): readonly T[] {
    return this.current;
  }

  isEmpty(): boolean {
    return this.current.length === 0;
  }

  count(time: T): number {
    return this.counts.get(this.order.key(time))?.count ?? 0;
  }

  /** Some frontier time is ≤ `time`, i.e. data at `time` may still be produced. */
  covers(time: T): boolean {
    for (const f of this.current) if (this.order.lessEqual(f, time)) return true;
    return false;
  }

  /**
   * Applies all changes as one step and returns the frontier's changes, negatives first, each part in time
   * order. Throws NegativeCountError (leaving the counts unchanged) if a count would go below zero.
   */
  update(changes: Iterable<readonly [T, number]>): [T, number][] {
    const touched = new Map<TimeKey, Entry<T>>();
    for (const [time, delta] of changes) {
      if (delta === 0) continue;
      const key = this.order.key(time);
      const entry = touched.get(key);
      if (entry) entry.count += delta;
      else touched.set(key, { time, count: delta });
    }
    if (touched.size === 0) return [];
    for (const [key, change] of touched) {
      const now = (this.counts.get(key)?.count ?? 0) + change.count;
      if (now < 0) throw new NegativeCountError(change.time, now);
    }
    for (const [key, change] of touched) {
      const entry = this.counts.get(key);
      const now = (entry?.count ?? 0) + change.count;
      if (now === 0) this.counts.delete(key);
      else if (entry) entry.count = now;
      else this.counts.set(key, { time: change.time, count: now });
    }
    return this.recompute();
  }

  private recompute(): [T, number][] {
    const next = this.minimalTimes();
    const before = new Map<TimeKey, T>();
    for (const t of this.current) before.set(this.order.key(t), t);
    const left: [T, number][] = [];
    const entered: [T, number][] = [];
    const after = new Set<TimeKey>();
    for (const t of next) {
      const key = this.order.key(t);
      after.add(key);
      if (!before.has(key)) entered.push([t, 1]);
    }
    for (const [key, t] of before) if (!after.has(key)) left.push([t, -1]);
    this.current = next;
    sortByTime(this.order, left, (c) => c[0]);
    sortByTime(this.order, entered, (c) => c[0]);
    return left.concat(entered);
  }

  private minimalTimes(): T[] {
    const order = this.order;
    if (order.totalOrder && order.compare) {
      let best: T | undefined;
      let found = false;
      for (const { time } of this.counts.values()) {
        if (!found || order.compare(time, best as T) < 0) {
          best = time;
          found = true;
        }
      }
      return found ? [best as T] : [];
    }
    const times = [...this.counts.values()].map((e) => e.time);
    return times.filter((t) => !times.some((u) => u !== t && order.lessEqual(u, t) && order.key(u) !== order.key(t)));
  }
}
