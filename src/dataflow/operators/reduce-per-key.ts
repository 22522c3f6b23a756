import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { keyedState, type KeyedStateOptions } from './internal/keyed-state.js';

/**
 * Keyed state that survives across times (Kafka Streams' `reduce`): records are grouped by `key`, and each
 * key's state is its first record, combined with every later one by `reducer` — across times, in time order.
 * When the input frontier passes a time, the new state of every key that time touched is emitted at that
 * time as `[key, state]` (keys in order of first appearance). With `ttl`, a key's state expires in event
 * time. Records behind the frontier go to `late`. Needs a totally ordered timestamp (numbers by default).
 *
 * @example
 * ```ts
 * // The largest bid per item so far, updated once each second of bids is complete.
 * bids$.pipe(reducePerKey((b: Bid) => b.item, (best, b) => (b.price > best.price ? b : best), { ttl: 3600 }));
 * // messages(0, [['lamp', { item: 'lamp', price: 12 }]]), later messages(5, [['lamp', { item: 'lamp', price: 20 }]])
 * ```
 */
export function reducePerKey<D, K, T = number>(
  key: (record: D) => K,
  reducer: (state: D, record: D, time: T) => D,
  options?: KeyedStateOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, readonly [K, D]>> {
  return keyedState<T, D, K, D>('reducePerKey', key, (_k, record) => record, reducer, options);
}
