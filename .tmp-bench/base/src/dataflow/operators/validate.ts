import type { MonoTypeOperatorFunction } from 'rxjs';
import { compactUpdates, type Update } from '../change-batch.js';
import { describe, ProgressProtocolError } from '../errors.js';
import type { Event } from '../event.js';
import { MutableAntichain } from '../mutable-antichain.js';
import { assertNumberTime, resolveOrder, type TimestampOptions } from '../progress-tracker.js';
import { eventOperator } from './operate.js';

export interface ValidateOptions<T> extends TimestampOptions<T> {
  /** Also require every progress event to be compacted: sorted by time, one entry per time, no zeros. */
  strict?: boolean;
  /** Require the frontier to be empty when the Observable completes (default true). */
  requireEmptyFrontier?: boolean;
  /** Names the stream in error messages. */
  name?: string;
}

/**
 * Checks that the stream follows the progress protocol and passes it through unchanged; the first
 * violation errors the output with a {@link ProgressProtocolError}:
 * - `uncovered-data`: messages at a time the frontier no longer allows;
 * - `frontier-regression`: progress adding a count at a time no positive count is `≤` to;
 * - `negative-count`: progress driving a time's cumulative count below zero;
 * - `incomplete`: completion while the frontier still holds times;
 * - `not-compacted` (strict only): a progress event that is not sorted, merged and zero-free.
 *
 * @example
 * ```ts
 * replayed$.pipe(validate({ name: 'orders-0' })).subscribe({ error: (e) => console.error(e.message) });
 * ```
 */
export function validate<T = number, D = unknown>(options: ValidateOptions<T> = {}): MonoTypeOperatorFunction<Event<T, D>> {
  const { order, assumeNumbers } = resolveOrder(options);
  const strict = options.strict === true;
  const requireEmpty = options.requireEmptyFrontier !== false;
  const label = options.name === undefined ? 'stream' : `stream ${options.name}`;
  return eventOperator<T, D, T, D>((out) => {
    const counts = MutableAntichain.withMinimum(order);
    let index = -1;
    const fail = (violation: ConstructorParameters<typeof ProgressProtocolError>[0], what: string, time?: T): never => {
      throw new ProgressProtocolError(
        violation,
        `${label} broke the progress protocol at event #${index}: ${what} ` +
          `(frontier ${describe(counts.frontier)}); a stream must be captured fresh (not appended to a reused ` +
          `topic) and produced by a conforming operator`,
        index,
        time,
      );
    };
    return {
      next(event) {
        index++;
        if (event.kind === 'messages') {
          if (assumeNumbers) assertNumberTime(event.time);
          if (!counts.lessEqual(event.time)) {
            fail('uncovered-data', `messages at time ${describe(event.time)}, which was already released`, event.time);
          }
        } else {
          const updates = event.updates;
          if (strict) checkCompacted(updates);
          for (const [t, d] of updates) {
            if (assumeNumbers) assertNumberTime(t);
            if (d > 0 && !counts.lessEqual(t)) {
              fail('frontier-regression', `progress adds ${d} at time ${describe(t)}, before the frontier`, t);
            }
          }
          counts.updateIter(updates);
          for (const [t] of updates) {
            const c = counts.count(t);
            if (c < 0) fail('negative-count', `the count at time ${describe(t)} went negative (${c})`, t);
          }
        }
        out.next(event);
      },
      complete() {
        index++;
        if (requireEmpty && !counts.isEmpty()) {
          fail('incomplete', 'the stream completed while its frontier still held times');
        }
      },
    };

    function checkCompacted(updates: ReadonlyArray<Update<T>>): void {
      const compacted = compactUpdates(order, updates);
      const same =
        compacted.length === updates.length &&
        compacted.every(([t, d], i) => {
          const u = updates[i] as Update<T>;
          return order.key(u[0]) === order.key(t) && u[1] === d;
        });
      if (!same) fail('not-compacted', `progress ${describe(updates)} is not compacted (expected ${describe(compacted)})`);
    }
  });
}
