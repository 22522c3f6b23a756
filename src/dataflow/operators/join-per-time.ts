import type { OperatorFunction } from 'rxjs';
import type { Event, Stream } from '../event.js';
import type { LateOutput } from './late-output.js';
import { mergeSides, type Sided } from './internal/sided.js';
import { perTime } from './per-time.js';
import type { TimestampOptions } from '../progress-tracker.js';

/** Options of the joins: the timestamp order and the side output for late records of either input. */
export interface JoinOptions<T, L, R> extends TimestampOptions<T> {
  /** Late records of either input, tagged with their side; without it, late data fails the output. */
  late?: LateOutput<T, Sided<L, R>>;
}

/**
 * An equi-join of two streams' records at the same time: once both inputs' frontiers have passed a time,
 * every pair `[left, right]` of that time's records with `leftKey(left)` equal to `rightKey(right)` (Map
 * semantics) is emitted at that time, in left arrival order, then right arrival order. The output frontier
 * is the meet of the inputs'. Works under any partial order (`{ timestamp }`). Records at a time that was
 * already joined go to `late` (tagged `{ side, value }`), or fail the output with a `LateDataError`.
 *
 * @example
 * ```ts
 * // Orders and payments of the same second, matched by order id.
 * orders$.pipe(joinPerTime(payments$, (o: Order) => o.id, (p: Payment) => p.orderId));
 * // messages(3, [[{ id: 7, … }, { orderId: 7, … }]]) once both streams have passed time 3
 * ```
 */
export function joinPerTime<L, R, K, T = number>(
  other: Stream<T, R>,
  leftKey: (left: L) => K,
  rightKey: (right: R) => K,
  options?: JoinOptions<T, L, R>,
): OperatorFunction<Event<T, L>, Event<T, readonly [L, R]>> {
  const join = perTime<T, Sided<L, R>, Sided<L, R>[], readonly [L, R]>(
    {
      name: 'joinPerTime',
      create: () => [],
      add: (records, batch) => {
        for (let i = 0; i < batch.length; i++) records.push(batch[i] as Sided<L, R>);
        return records;
      },
      finish: (records) => {
        const rights = new Map<K, R[]>();
        for (const r of records) {
          if (r.side !== 'right') continue;
          const k = rightKey(r.value);
          const list = rights.get(k);
          if (list === undefined) rights.set(k, [r.value]);
          else list.push(r.value);
        }
        const pairs: (readonly [L, R])[] = [];
        if (rights.size === 0) return pairs;
        for (const l of records) {
          if (l.side !== 'left') continue;
          const matches = rights.get(leftKey(l.value));
          if (matches !== undefined) for (const r of matches) pairs.push([l.value, r] as const);
        }
        return pairs;
      },
    },
    options,
  );
  return (source) => mergeSides(source, other, options).pipe(join);
}
