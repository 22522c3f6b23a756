import { BehaviorSubject, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import type { Event } from '../event.js';
import { ProgressTracker, resolveOrder, type TimestampOptions } from '../progress-tracker.js';
import { eventOperator } from './operate.js';

/**
 * An operator that passes the stream through unchanged while exposing its frontier, like Timely's probe.
 * Use one probe per subscription.
 */
export interface Probe<T, D> extends MonoTypeOperatorFunction<Event<T, D>> {
  /** The current frontier, then every new one; completes when the probed stream completes. */
  readonly frontier$: Observable<readonly T[]>;
  /** The current frontier (the minimum until the first progress event). */
  readonly frontier: readonly T[];
  /** Some frontier element is `< t`: earlier times may still appear, so times up to `t` are not all done. */
  lessThan(t: T): boolean;
  /** Some frontier element is `≤ t`: data at `t` may still appear. */
  lessEqual(t: T): boolean;
  /** The frontier is empty: the stream has finished. */
  readonly done: boolean;
}

/**
 * Creates a {@link Probe}: pipe the stream through it, then ask it how far the stream has got.
 *
 * @example
 * ```ts
 * const p = probe<number, string>();
 * input.stream.pipe(countPerTime(), p).subscribe();
 * input.send(['a']);
 * input.advanceTo(1);
 * p.lessThan(1); // false: every time before 1 is complete
 * p.frontier$.subscribe((f) => console.log('frontier', f));
 * ```
 */
export function probe<T = number, D = unknown>(options?: TimestampOptions<T>): Probe<T, D> {
  const { order } = resolveOrder(options);
  let tracker = new ProgressTracker(order);
  const frontier$ = new BehaviorSubject<readonly T[]>(tracker.input.frontier);
  const operator = eventOperator<T, D, T, D>((out) => {
    tracker = new ProgressTracker(order);
    return {
      next(event) {
        if (event.kind === 'progress' && tracker.applyInput(event.updates).length > 0) {
          tracker.takeOutputChanges();
          frontier$.next(tracker.input.frontier);
        }
        out.next(event);
      },
      complete() {
        if (tracker.closeInputs().length > 0) frontier$.next(tracker.input.frontier);
        frontier$.complete();
      },
    };
  });
  const p = ((source: Observable<Event<T, D>>) => operator(source)) as Probe<T, D>;
  Object.defineProperties(p, {
    frontier$: { value: frontier$.asObservable() },
    frontier: { get: () => tracker.input.frontier },
    done: { get: () => tracker.input.isEmpty() },
    lessThan: { value: (t: T) => tracker.input.lessThan(t) },
    lessEqual: { value: (t: T) => tracker.input.lessEqual(t) },
  });
  return p;
}
