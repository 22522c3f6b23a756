import { Observable, Subscriber } from 'rxjs';
import type { Update } from '../change-batch.js';
import { progress, type Event, type Stream } from '../event.js';
import { ProgressTracker, resolveOrder, type TimestampOptions } from '../progress-tracker.js';
import type { TimeKey } from '../timestamp.js';

/**
 * Merges several streams into one, as Timely's `concatenate`: data passes through as it arrives, and the
 * output frontier is the meet (the lower bound) of the inputs' frontiers — a time is released only once
 * every input has released it. Counts are summed over the inputs, each starting with one implicit
 * capability at the minimum, so this is also exactly what replaying several captured streams does.
 *
 * An input that completes without releasing its frontier is treated as finished (its counts are dropped);
 * an input's error errors the output. With no inputs, the output finishes at once.
 *
 * @example
 * ```ts
 * const a = new InputHandle<number, string>();
 * const b = new InputHandle<number, string>();
 * merge([a.stream, b.stream]).pipe(countPerTime()).subscribe(console.log);
 * a.send(['x']); a.advanceTo(1); // nothing yet: b still holds time 0
 * b.send(['y']); b.advanceTo(1); // messages(0, [2]), then progress [[0, -1], [1, 1]]
 * ```
 */
export function merge<T = number, D = unknown>(
  streams: Iterable<Stream<T, D>>,
  options?: TimestampOptions<T>,
): Stream<T, D> {
  const inputs = [...streams];
  return new Observable<Event<T, D>>((out) => {
    const { order } = resolveOrder(options);
    if (inputs.length === 0) {
      out.next(progress([[order.minimum, -1]]));
      out.complete();
      return;
    }
    const tracker = new ProgressTracker(order, { inputs: inputs.length });
    let open = inputs.length;
    const key = (t: T): TimeKey => order.key(t);
    for (const input of inputs) {
      // Each input's own cumulative counts, to release them if it completes without doing so itself.
      const held = new Map<TimeKey, [T, number]>([[key(order.minimum), [order.minimum, 1]]]);
      const apply = (updates: ReadonlyArray<Update<T>>): void => {
        if (tracker.applyInput(updates).length === 0) return;
        const changes = tracker.takeOutputChanges();
        if (changes.length > 0) out.next(progress(changes));
      };
      const inner = new Subscriber<Event<T, D>>({
        next(event) {
          if (event.kind === 'messages') {
            out.next(event);
            return;
          }
          const updates = event.updates;
          for (let i = 0; i < updates.length; i++) {
            const u = updates[i] as Update<T>;
            const k = key(u[0]);
            const entry = held.get(k);
            if (entry === undefined) held.set(k, [u[0], u[1]]);
            else if ((entry[1] += u[1]) === 0) held.delete(k);
          }
          try {
            apply(updates);
          } catch (err) {
            out.error(err);
          }
        },
        error(err: unknown) {
          out.error(err);
        },
        complete() {
          if (held.size > 0) {
            const release: [T, number][] = [];
            for (const [t, c] of held.values()) release.push([t, -c]);
            held.clear();
            try {
              apply(release);
            } catch (err) {
              out.error(err);
              return;
            }
          }
          if (--open === 0) out.complete();
        },
      });
      // Registered before subscribing, so an error stops a synchronous input mid-loop.
      out.add(inner);
      input.subscribe(inner);
      if (out.closed) break;
    }
  });
}
