/** Test oracles: Extract semantics and a frontier checker for progress-carrying event sequences. */
import { firstValueFrom, toArray, type Observable } from 'rxjs';
import type { Event } from '../../src/dataflow/event.js';
import { numberTimestamp, type Timestamp } from '../../src/dataflow/timestamp.js';
import { MutableAntichain } from '../../src/dataflow/mutable-antichain.js';

/** Timely's extract: per time (ascending), the sorted concatenation of all data; empty groups dropped. */
export function extract<D>(events: readonly Event<number, D>[]): [number, D[]][] {
  const byTime = new Map<number, D[]>();
  for (const e of events) {
    if (e.kind !== 'messages') continue;
    const list = byTime.get(e.time) ?? [];
    for (let i = 0; i < e.data.length; i++) list.push((e.data as ArrayLike<D>)[i] as D);
    byTime.set(e.time, list);
  }
  return [...byTime.entries()]
    .filter(([, d]) => d.length > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([t, d]) => [t, d.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))]);
}

/**
 * Checks that a sequence obeys the protocol (data only at held times, counts never negative, frontier empty at
 * the end) and returns the frontier after every progress event.
 */
export function checkProtocol<T, D>(events: readonly Event<T, D>[], order: Timestamp<T> = numberTimestamp as unknown as Timestamp<T>): T[][] {
  const counts = MutableAntichain.withMinimum(order);
  const frontiers: T[][] = [];
  for (const e of events) {
    if (e.kind === 'messages') {
      if (!counts.lessEqual(e.time)) throw new Error(`data at ${JSON.stringify(e.time)} after the frontier passed it`);
    } else {
      counts.updateNonNegative(e.updates);
      frontiers.push([...counts.frontier]);
    }
  }
  if (!counts.isEmpty()) throw new Error(`stream ended with frontier ${JSON.stringify(counts.frontier)}`);
  return frontiers;
}

export function collect<X>(source: Observable<X>): Promise<X[]> {
  return firstValueFrom(source.pipe(toArray()));
}

/** A valid multi-epoch stream: data at epochs 0..epochs-1, advancing after each. */
export function epochStream(epochs: number, perEpoch: (t: number) => number[]): Event<number, number>[] {
  const events: Event<number, number>[] = [];
  for (let t = 0; t < epochs; t++) {
    events.push({ kind: 'messages', time: t, data: perEpoch(t) });
    events.push({ kind: 'progress', updates: t + 1 < epochs ? [[t, -1], [t + 1, 1]] : [[t, -1]] });
  }
  return events;
}
