import type { OperatorFunction } from 'rxjs';
import type { Batch, Event } from '../event.js';
import { mapMessages } from './internal/map-messages.js';

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
  return mapMessages<T, D, E>(project);
}
