import { Observable, Subject } from 'rxjs';
import type { Batch } from '../event.js';

/** A record an operator diverted because it arrived after the time its result belongs to was completed. */
export interface LateArrival<T, D> {
  /** The record. */
  readonly value: D;
  /** The time it arrived at. */
  readonly time: T;
  /** The operator's input frontier when it arrived (empty once the input has finished). */
  readonly frontier: readonly T[];
  /** The operator that diverted it, e.g. `sessionWindow`. */
  readonly operator: string;
}

/**
 * The side output for late records of windowed, per-time and keyed operators: pass one as `{ late }` to any
 * number of operators, then read `late$` (records as they are diverted) and `count` (how many so far, over
 * every operator and subscription it was given to). Late records that nobody observes on `late$` are still
 * counted. Without a `late` option an operator fails with a `LateDataError` instead, so late data is never
 * dropped silently.
 *
 * @example
 * ```ts
 * const late = lateOutput<number, Click>();
 * late.late$.subscribe((l) => console.warn(`late click at ${l.time} in ${l.operator}`, l.value));
 * clicks.pipe(sessionWindow(30, { key: (c) => c.user, late })).subscribe(report);
 * // later: metrics.gauge('late_clicks', late.count);
 * ```
 */
export class LateOutput<T = number, D = unknown> {
  private readonly subject = new Subject<LateArrival<T, D>>();
  private counted = 0;

  /** Late records as they are diverted (hot: subscribe before the pipeline runs to see them all). */
  readonly late$: Observable<LateArrival<T, D>> = this.subject.asObservable();

  /** How many late records were diverted so far. */
  get count(): number {
    return this.counted;
  }

  /**
   * Counts and publishes late records (used by the operators; `start`/`end` select part of the batch).
   * @internal
   */
  divert(operator: string, time: T, batch: Batch<D>, frontier: readonly T[], start = 0, end = batch.length): void {
    const snapshot = frontier.slice();
    for (let i = start; i < end; i++) {
      this.counted++;
      this.subject.next({ value: batch[i] as D, time, frontier: snapshot, operator });
    }
  }
}

/** Creates a {@link LateOutput} to pass as `{ late }` to one or more operators. */
export function lateOutput<T = number, D = unknown>(): LateOutput<T, D> {
  return new LateOutput<T, D>();
}
