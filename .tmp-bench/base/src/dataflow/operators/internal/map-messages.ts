import type { OperatorFunction } from 'rxjs';
import { messages, type Batch, type Event } from '../../event.js';
import { eventOperator } from '../operate.js';

/**
 * The shared body of the operators that change data but pass progress through unchanged (`mapData`,
 * `filterData`, `flatMapData`, `mapBatch`), as RxJS shares `scanInternals` between `scan` and `reduce`.
 *
 * `transform` turns each batch into the batch to emit at the same time. Returning the input batch itself
 * forwards the original event object (no allocation); an empty result is not emitted, since a batch with no
 * records tells a consumer nothing and the progress events alone carry the frontier. Times are never
 * touched, so the output frontier is the input frontier and no state is held.
 */
export function mapMessages<T, D, E>(
  transform: (data: Batch<D>, time: T) => Batch<E>,
): OperatorFunction<Event<T, D>, Event<T, E>> {
  return eventOperator<T, D, T, E>((out) => ({
    next(event) {
      if (event.kind === 'progress') {
        out.next(event);
        return;
      }
      const result = transform(event.data, event.time);
      if (result.length === 0) return;
      out.next((result as unknown) === event.data ? (event as unknown as Event<T, E>) : messages(event.time, result));
    },
  }));
}
