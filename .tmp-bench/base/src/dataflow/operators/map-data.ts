import type { OperatorFunction } from 'rxjs';
import type { Batch, Event } from '../event.js';
import { mapMessages } from './internal/map-messages.js';

export interface MapDataOptions {
  /**
   * `'float64'` collects the results into a `Float64Array` (for numeric results: compact, and cheap to
   * encode); `'array'` (default) into a plain array.
   */
  output?: 'array' | 'float64';
}

/**
 * Like `Array.prototype.map` for every record of every batch: each batch at `t` becomes a batch at `t` of
 * `project(record, time)`. Progress passes through unchanged (times are not touched); an empty batch is not
 * emitted.
 *
 * @example
 * ```ts
 * toStream([1, 2, 3]).pipe(mapData((x) => x * 10)); // messages(0, [10, 20, 30]), progress([[0, -1]])
 * ```
 */
export function mapData<D, E, T = number>(
  project: (record: D, time: T) => E,
  options: MapDataOptions = {},
): OperatorFunction<Event<T, D>, Event<T, E>> {
  const typed = options.output === 'float64';
  return mapMessages<T, D, E>((data, time) => {
    const n = data.length;
    if (typed) {
      const f = new Float64Array(n);
      for (let i = 0; i < n; i++) f[i] = project(data[i] as D, time) as unknown as number;
      return f as unknown as Batch<E>;
    }
    const a = new Array<E>(n);
    for (let i = 0; i < n; i++) a[i] = project(data[i] as D, time);
    return a;
  });
}
