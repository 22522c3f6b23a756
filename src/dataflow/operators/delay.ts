import type { OperatorFunction } from 'rxjs';
import type { Batch, Event } from '../event.js';
import { perTime, type PerTimeOptions } from './per-time.js';

/**
 * Moves data to later times, like Timely's `delay`: each batch at `t` is re-timed to `later(t)` (which must
 * be `≥ t`, or the output errors with an `InvalidTimeError`) and held — with a capability at the new time —
 * until the input frontier passes the new time; then everything gathered for it is emitted as one batch.
 * A record is late (to `options.late`, or a `LateDataError`) only when the time it moves to was completed.
 *
 * @example
 * ```ts
 * // Gather each run of 10 epochs at the run's last epoch.
 * stream.pipe(delay((t) => Math.floor(t / 10) * 10 + 9));
 * ```
 */
export function delay<D, T = number>(
  later: (time: T) => T,
  options?: PerTimeOptions<T, D>,
): OperatorFunction<Event<T, D>, Event<T, D>> {
  return perTime<T, D, D[], D>(
    {
      name: 'delay',
      outputTime: later,
      create: () => [],
      add: (gathered, batch: Batch<D>) => {
        for (let i = 0; i < batch.length; i++) gathered.push(batch[i] as D);
        return gathered;
      },
      finish: (gathered) => gathered,
    },
    options,
  );
}
