import type { OperatorFunction } from 'rxjs';
import { messages, type Event } from '../event.js';
import { eventOperator } from './operate.js';

/**
 * Keeps the records for which `predicate(record, time)` holds. A batch left empty is not emitted; progress
 * passes through unchanged.
 *
 * @example
 * ```ts
 * toStream([1, 2, 3, 4]).pipe(filterData((x) => x % 2 === 0)); // messages(0, [2, 4]), progress([[0, -1]])
 * ```
 */
export function filterData<D, T = number>(
  predicate: (record: D, time: T) => boolean,
): OperatorFunction<Event<T, D>, Event<T, D>> {
  return eventOperator<T, D, T, D>((out) => ({
    next(event) {
      if (event.kind === 'progress') {
        out.next(event);
        return;
      }
      const data = event.data;
      const time = event.time;
      const kept: D[] = [];
      for (let i = 0; i < data.length; i++) {
        const record = data[i] as D;
        if (predicate(record, time)) kept.push(record);
      }
      if (kept.length === data.length) out.next(event);
      else if (kept.length > 0) out.next(messages(time, kept));
    },
  }));
}
