import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { mapMessages } from './internal/map-messages.js';

/**
 * Replaces each record by the records of `project(record, time)` (any iterable), all at the record's time.
 * A batch left empty is not emitted; progress passes through unchanged.
 *
 * @example
 * ```ts
 * toStream(['a b', 'c']).pipe(flatMapData((line) => line.split(' '))); // messages(0, ['a', 'b', 'c']), ...
 * ```
 */
export function flatMapData<D, E, T = number>(
  project: (record: D, time: T) => Iterable<E>,
): OperatorFunction<Event<T, D>, Event<T, E>> {
  return mapMessages<T, D, E>((data, time) => {
    const result: E[] = [];
    for (let i = 0; i < data.length; i++) {
      for (const e of project(data[i] as D, time)) result.push(e);
    }
    return result;
  });
}
