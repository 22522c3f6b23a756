import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { perTime, type PerTimeOptions } from './per-time.js';
import type { Reducer } from './reduce-per-time.js';

/**
 * Groups the records of each time by `key` and folds each group with `reducer` from `seed`; once the input
 * frontier has passed the time, emits one batch at that time holding a `[key, result]` pair per key (in
 * order of first appearance). Keys are compared with `Map` semantics (SameValueZero).
 *
 * @example
 * ```ts
 * // Word counts per epoch.
 * words$.pipe(aggregatePerTime((w: string) => w, (n: number) => n + 1, 0));
 * // e.g. messages(0, [['a', 2], ['b', 1]]) once epoch 0 is complete
 * ```
 */
export function aggregatePerTime<K, A, D, T = number>(
  key: (record: D) => K,
  reducer: Reducer<A, D, T>,
  seed: A | ((key: K, time: T) => A),
  options?: PerTimeOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, readonly [K, A]>> {
  const init = typeof seed === 'function' ? (seed as (key: K, time: T) => A) : () => seed;
  return perTime<T, D, Map<K, A>, readonly [K, A]>(
    {
      name: 'aggregatePerTime',
      create: () => new Map<K, A>(),
      add: (groups, batch, time) => {
        for (let i = 0; i < batch.length; i++) {
          const record = batch[i] as D;
          const k = key(record);
          const acc = groups.has(k) ? (groups.get(k) as A) : init(k, time);
          groups.set(k, reducer(acc, record, time));
        }
        return groups;
      },
      finish: (groups) => [...groups],
    },
    options,
  );
}
