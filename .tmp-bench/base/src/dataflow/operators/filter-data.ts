import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { mapMessages } from './internal/map-messages.js';

/**
 * Keeps the records for which `predicate(record, time)` holds. A batch that keeps every record is forwarded
 * as is; a batch left empty is not emitted; progress passes through unchanged.
 *
 * @example
 * ```ts
 * toStream([1, 2, 3, 4]).pipe(filterData((x) => x % 2 === 0)); // messages(0, [2, 4]), progress([[0, -1]])
 * ```
 */
export function filterData<D, T = number>(
  predicate: (record: D, time: T) => boolean,
): OperatorFunction<Event<T, D>, Event<T, D>> {
  return mapMessages<T, D, D>((data, time) => {
    const kept: D[] = [];
    for (let i = 0; i < data.length; i++) {
      const record = data[i] as D;
      if (predicate(record, time)) kept.push(record);
    }
    return kept.length === data.length ? data : kept;
  });
}
