import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { perTime, type PerTimeOptions } from './per-time.js';

/**
 * Counts the records at each time and emits the count — one record, at that time — once the input
 * frontier has passed the time, i.e. once no more data can arrive for it. Times without data emit nothing.
 * The output holds a capability for every time still being counted, so its progress never releases a
 * time before its count.
 *
 * @param options `timestamp` for times other than numbers; `late` for records that arrive after their time
 *   was completed (see {@link lateOutput}; without it they fail the output with a `LateDataError`).
 * @example
 * ```ts
 * const input = new InputHandle<number, string>();
 * input.stream.pipe(countPerTime()).subscribe((e) => e.kind === 'messages' && console.log(e.time, e.data[0]));
 * input.send(['a', 'b']);
 * input.advanceTo(1); // logs: 0 2
 * input.send(['c']);
 * input.close();      // logs: 1 1
 * ```
 */
export function countPerTime<T = number, D = unknown>(
  options?: PerTimeOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, number>> {
  return perTime<T, D, number, number>(
    {
      name: 'countPerTime',
      create: () => 0,
      add: (count, batch) => count + batch.length,
      finish: (count) => [count],
    },
    options,
  );
}
