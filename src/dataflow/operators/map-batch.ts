import type { OperatorFunction } from 'rxjs';
import { messages, type Batch, type Event } from '../event.js';
import { eventOperator } from './operate.js';

/**
 * Replaces each whole batch by `project(batch, time)`, at the same time: the cheapest way to transform data
 * (one call per batch; typed arrays can be processed in place or with `subarray`). An empty result is not
 * emitted; progress passes through unchanged.
 *
 * @example
 * ```ts
 * // Sort every batch.
 * stream.pipe(mapBatch((batch) => Float64Array.from(batch).sort()));
 * ```
 */
export function mapBatch<D, E, T = number>(
  project: (batch: Batch<D>, time: T) => Batch<E>,
): OperatorFunction<Event<T, D>, Event<T, E>> {
  return eventOperator<T, D, T, E>((out) => ({
    next(event) {
      if (event.kind === 'progress') {
        out.next(event);
        return;
      }
      const result = project(event.data, event.time);
      if (result.length > 0) out.next(messages(event.time, result));
    },
  }));
}
