import { Observable, Subscriber, type OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';

/** What an event operator does with each input notification. Throwing from any of them errors the output. */
export interface EventHandlers<T, D> {
  next(event: Event<T, D>): void;
  /** Called before the output completes, to flush state and release what the operator still holds. */
  complete?(): void;
  /** Called on unsubscribe, error or completion. */
  finalize?(): void;
}

/**
 * Builds an operator over progress-carrying streams. The inner subscriber is registered with the output
 * before subscribing upstream, so an error or an unsubscribe stops a synchronous source mid-loop, and an
 * exception thrown while handling an event becomes the output's error rather than an unhandled one.
 */
export function eventOperator<T, D, U, E>(
  setup: (out: Subscriber<Event<U, E>>) => EventHandlers<T, D>,
): OperatorFunction<Event<T, D>, Event<U, E>> {
  return (source) =>
    new Observable<Event<U, E>>((out) => {
      const handlers = setup(out);
      const inner = new Subscriber<Event<T, D>>({
        next(event) {
          try {
            handlers.next(event);
          } catch (err) {
            out.error(err);
          }
        },
        error(err: unknown) {
          out.error(err);
        },
        complete() {
          try {
            handlers.complete?.();
          } catch (err) {
            out.error(err);
            return;
          }
          out.complete();
        },
      });
      out.add(inner);
      if (handlers.finalize) out.add(handlers.finalize);
      source.subscribe(inner);
    });
}
