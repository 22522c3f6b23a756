import { Antichain } from './antichain.js';
import type { Update } from './change-batch.js';
import { NegativeCountError } from './errors.js';
import { TimeHeap } from './time-heap.js';
import { lessThan as strictlyLess, numberTimestamp, sortByTime, type TimeKey, type Timestamp } from './timestamp.js';

interface Count<T> {
  readonly time: T;
  count: number;
}

/**
 * Counts per time plus the frontier they imply: the minimal times whose count is positive. This is
 * Timely's `MutableAntichain`. {@link updateIter} applies a whole batch of count changes as one atomic step
 * and reports how the frontier moved, each time entering it as `+1` and each time leaving it as `-1` —
 * exactly the deltas a progress event carries.
 */
export class MutableAntichain<T> {
  private readonly counts = new Map<TimeKey, Count<T>>();
  private current: T[] = [];
  private currentKeys: TimeKey[] = [];
  /**
   * Under a total order: every time that became positive, smallest first, with stale entries (count no
   * longer positive) dropped lazily, so finding the new frontier costs O(log n) however many times are held.
   */
  private readonly heap: TimeHeap<T> | undefined;

  constructor(
    readonly order: Timestamp<T> = numberTimestamp as unknown as Timestamp<T>,
    initial: Iterable<Update<T>> = [],
  ) {
    const compare = order.totalOrder === true ? order.compare?.bind(order) : undefined;
    this.heap = compare === undefined ? undefined : new TimeHeap(compare);
    this.updateIter([...initial]);
  }

  /** Counts `count` at the minimum: how every stream (or `count` merged streams) starts. */
  static withMinimum<T>(order: Timestamp<T>, count = 1): MutableAntichain<T> {
    return new MutableAntichain(order, count === 0 ? [] : [[order.minimum, count]]);
  }

  /** The current frontier. Do not mutate. */
  get frontier(): readonly T[] {
    return this.current;
  }

  /** The frontier as an {@link Antichain} (a copy). */
  toAntichain(): Antichain<T> {
    return new Antichain(this.order, this.current);
  }

  /** No time has a positive count: the stream is finished. */
  isEmpty(): boolean {
    return this.current.length === 0;
  }

  /** Some frontier element is `≤ t`: data at `t` may still appear. */
  lessEqual(t: T): boolean {
    const cur = this.current;
    const order = this.order;
    for (let i = 0; i < cur.length; i++) if (order.lessEqual(cur[i] as T, t)) return true;
    return false;
  }

  /** Some frontier element is `< t`. */
  lessThan(t: T): boolean {
    const order = this.order;
    return this.current.some((e) => strictlyLess(order, e, t));
  }

  /** The cumulative count at `t` (0 if never updated). */
  count(t: T): number {
    return this.counts.get(this.order.key(t))?.count ?? 0;
  }

  /** All times with a non-zero count, with their counts. */
  *entries(): IterableIterator<[T, number]> {
    for (const c of this.counts.values()) yield [c.time, c.count];
  }

  /** Applies one change; see {@link updateIter}. */
  update(time: T, delta: number): [T, number][] {
    return this.updateIter([[time, delta]]);
  }

  /**
   * Applies every change atomically (intermediate states are never observable, so `[(0,-1),(1,+1)]` never
   * exposes an empty frontier) and returns the frontier's changes, sorted by time, or `[]` if it did not move.
   */
  updateIter(updates: ReadonlyArray<Update<T>>): [T, number][] {
    const order = this.order;
    const counts = this.counts;
    let rebuild = false;
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i] as Update<T>;
      const delta = u[1];
      if (delta === 0) continue;
      const time = u[0];
      const k = order.key(time);
      let c = counts.get(k);
      if (c === undefined) {
        c = { time, count: 0 };
        counts.set(k, c);
      }
      const before = c.count;
      const after = before + delta;
      c.count = after;
      if (after === 0) counts.delete(k);
      if (before <= 0 && after > 0) this.heap?.push(time);
      if (rebuild) continue;
      // Compared against the frontier as it was before this batch: the frontier can only change if a
      // frontier element stops being positive, or a time the old frontier did not cover becomes positive.
      if (before <= 0 && after > 0) {
        if (!this.lessEqual(time)) rebuild = true;
      } else if (before > 0 && after <= 0) {
        if (this.currentKeys.includes(k)) rebuild = true;
      }
    }
    return rebuild ? this.rebuild() : [];
  }

  /**
   * {@link updateIter} for counts that may never go negative, such as the capabilities one captured stream
   * holds: if any time's count would drop below zero, throws {@link NegativeCountError} and applies nothing.
   */
  updateNonNegative(updates: ReadonlyArray<Update<T>>): [T, number][] {
    if (updates.length === 1) {
      const [time, delta] = updates[0] as Update<T>;
      const after = this.count(time) + delta;
      if (after < 0) throw new NegativeCountError(time, after);
    } else if (updates.length > 1) {
      // Summed per time first: a batch may release a time and re-add it, and only the net change counts.
      const order = this.order;
      const net = new Map<TimeKey, { time: T; delta: number }>();
      for (const [time, delta] of updates) {
        const k = order.key(time);
        const entry = net.get(k);
        if (entry) entry.delta += delta;
        else net.set(k, { time, delta });
      }
      for (const [k, { time, delta }] of net) {
        const after = (this.counts.get(k)?.count ?? 0) + delta;
        if (after < 0) throw new NegativeCountError(time, after);
      }
    }
    return this.updateIter(updates);
  }

  private rebuild(): [T, number][] {
    const order = this.order;
    const oldTimes = this.current;
    const oldKeys = this.currentKeys;
    let next: T[];
    const heap = this.heap;
    if (heap !== undefined) {
      let min = heap.peek();
      while (min !== undefined && !((this.counts.get(order.key(min))?.count ?? 0) > 0)) {
        heap.pop();
        min = heap.peek();
      }
      next = min === undefined ? [] : [min];
    } else {
      const positive: T[] = [];
      for (const c of this.counts.values()) if (c.count > 0) positive.push(c.time);
      // In a linear extension every time's predecessors come first, so one greedy pass finds the minima.
      sortByTime(order, positive, (t) => t);
      next = [];
      for (const t of positive) if (!next.some((e) => order.lessEqual(e, t))) next.push(t);
    }
    const nextKeys = next.map((t) => order.key(t));
    this.current = next;
    this.currentKeys = nextKeys;
    const changes: [T, number][] = [];
    for (let i = 0; i < oldTimes.length; i++) {
      if (!nextKeys.includes(oldKeys[i] as TimeKey)) changes.push([oldTimes[i] as T, -1]);
    }
    for (let i = 0; i < next.length; i++) {
      if (!oldKeys.includes(nextKeys[i] as TimeKey)) changes.push([next[i] as T, +1]);
    }
    if (changes.length > 1) sortByTime(order, changes, (u) => u[0]);
    return changes;
  }
}
