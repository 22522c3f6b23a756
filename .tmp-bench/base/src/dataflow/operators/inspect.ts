import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Update } from '../change-batch.js';
import type { Batch, Event } from '../event.js';
import { eventOperator } from './operate.js';

/** Callbacks of {@link inspect}. */
export interface InspectObserver<T, D> {
  /** Called with every batch and its time. */
  data?(batch: Batch<D>, time: T): void;
  /** Called with every progress event's frontier changes. */
  progress?(updates: ReadonlyArray<Update<T>>): void;
}

/**
 * Looks at the stream without changing it, like Timely's `inspect_batch`: a function is called with each
 * batch and its time; an observer can also watch progress.
 *
 * @example
 * ```ts
 * stream.pipe(inspect((batch, time) => console.log(`t=${time}: ${batch.length} records`)));
 * stream.pipe(inspect({ progress: (updates) => console.log('frontier moved', updates) }));
 * ```
 */
export function inspect<D, T = number>(
  observer: ((batch: Batch<D>, time: T) => void) | InspectObserver<T, D>,
): MonoTypeOperatorFunction<Event<T, D>> {
  const onData = typeof observer === 'function' ? observer : observer.data?.bind(observer);
  const onProgress = typeof observer === 'function' ? undefined : observer.progress?.bind(observer);
  return eventOperator<T, D, T, D>((out) => ({
    next(event) {
      if (event.kind === 'messages') onData?.(event.data, event.time);
      else onProgress?.(event.updates);
      out.next(event);
    },
  }));
}
