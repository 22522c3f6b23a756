import { map, toArray, type OperatorFunction } from 'rxjs';
import type { Event } from './event.js';
import { resolveOrder, type TimestampOptions } from './progress-tracker.js';
import { sortByTime, type TimeKey } from './timestamp.js';

export interface ExtractOptions<T, D> extends TimestampOptions<T> {
  /** Orders records within a time; {@link compareValues} when omitted. */
  compareData?: (a: D, b: D) => number;
}

/**
 * A total order on plain values for sorting records: numbers and bigints numerically, strings by code
 * unit, arrays lexicographically, anything else by its JSON text; values of different types by type name.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (ta === 'string' || ta === 'boolean') return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return compareValues(Array.from(a as unknown as ArrayLike<number>), Array.from(b as unknown as ArrayLike<number>));
  }
  const ja = JSON.stringify(a) ?? '';
  const jb = JSON.stringify(b) ?? '';
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/**
 * Timely's `Extract`: gathers a stream's data per time — times ascending, each with the sorted multiset of
 * its records, times without records dropped. Progress is ignored; comparing extracts is the oracle for
 * "same data at the same times" regardless of batching and interleaving.
 *
 * @example
 * ```ts
 * extract([messages(1, ['b']), messages(0, ['z', 'a']), messages(1, [])]); // [[0, ['a', 'z']], [1, ['b']]]
 * ```
 */
export function extract<T = number, D = unknown>(
  events: Iterable<Event<T, D>>,
  options: ExtractOptions<T, D> = {},
): [T, D[]][] {
  const { order } = resolveOrder(options);
  const compareData = options.compareData ?? compareValues;
  const groups = new Map<TimeKey, [T, D[]]>();
  for (const event of events) {
    if (event.kind !== 'messages' || event.data.length === 0) continue;
    const k = order.key(event.time);
    let group = groups.get(k);
    if (group === undefined) groups.set(k, (group = [event.time, []]));
    const data = event.data;
    for (let i = 0; i < data.length; i++) group[1].push(data[i] as D);
  }
  const result = sortByTime(order, [...groups.values()], (g) => g[0]);
  for (const [, data] of result) data.sort(compareData);
  return result;
}

/** {@link extract} as an operator: waits for the stream to complete, then emits its extract once. */
export function extractAll<T = number, D = unknown>(
  options: ExtractOptions<T, D> = {},
): OperatorFunction<Event<T, D>, [T, D[]][]> {
  return (source) => source.pipe(toArray(), map((events) => extract(events, options)));
}
