import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { perTime, type PerTimeOptions } from './per-time.js';

/** Folds one record into a time's accumulator. */
export type Reducer<A, D, T> = (accumulator: A, record: D, time: T) => A;

/**
 * Folds the records of each time with `reducer`, starting from `seed` (a value, or a function of the time),
 * and emits the result — one record, at that time — once the input frontier has passed the time.
 * Times without data emit nothing. Records of one time are folded in arrival order.
 *
 * @example
 * ```ts
 * // Sum per time.
 * toStream([1, 2, 3]).pipe(reducePerTime((sum, x) => sum + x, 0)); // messages(0, [6]), progress([[0, -1]])
 * ```
 */
export function reducePerTime<A, D, T = number>(
  reducer: Reducer<A, D, T>,
  seed: A | ((time: T) => A),
  options?: PerTimeOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, A>> {
  const init = typeof seed === 'function' ? (seed as (time: T) => A) : () => seed;
  return perTime<T, D, A, A>(
    {
      name: 'reducePerTime',
      create: init,
      add: (acc, batch, time) => {
        for (let i = 0; i < batch.length; i++) acc = reducer(acc, batch[i] as D, time);
        return acc;
      },
      finish: (acc) => [acc],
    },
    options,
  );
}
