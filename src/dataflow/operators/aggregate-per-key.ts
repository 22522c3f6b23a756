import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { keyedState, type KeyedStateOptions } from './internal/keyed-state.js';
import type { Reducer } from './reduce-per-time.js';

/**
 * Keyed state that survives across times (Kafka Streams' `aggregate`): records are grouped by `key`, and each
 * key's state starts from `seed` (a value, or a function of the key) and folds every record with
 * `aggregator` — across times, in time order. When the input frontier passes a time, the new state of every
 * key that time touched is emitted at that time as `[key, state]` (keys in order of first appearance). With
 * `ttl`, a key's state expires in event time and starts again from `seed`. Records behind the frontier go to
 * `late`. Needs a totally ordered timestamp (numbers by default).
 *
 * @example
 * ```ts
 * // Running word counts; a word unseen for an hour of event time starts again from 0.
 * words$.pipe(aggregatePerKey((w: string) => w, (n: number) => n + 1, 0, { ttl: 3600 }));
 * // messages(0, [['a', 2], ['b', 1]]), then messages(1, [['a', 3]]) when time 1 holds one more 'a'
 * ```
 */
export function aggregatePerKey<D, K, A, T = number>(
  key: (record: D) => K,
  aggregator: Reducer<A, D, T>,
  seed: A | ((key: K) => A),
  options?: KeyedStateOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, readonly [K, A]>> {
  const init = typeof seed === 'function' ? (seed as (key: K) => A) : () => seed;
  return keyedState<T, D, K, A>(
    'aggregatePerKey',
    key,
    (k, record, time) => aggregator(init(k), record, time),
    aggregator,
    options,
  );
}
