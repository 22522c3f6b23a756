import type { OperatorFunction } from 'rxjs';
import { InvalidTimeError } from '../errors.js';
import { messages, progress, type Event } from '../event.js';
import { assertNumberTime, ProgressTracker } from '../progress-tracker.js';
import { numberTimestamp } from '../timestamp.js';
import { fixedWindows } from './internal/fixed-windows.js';
import type { WindowAggregation, WindowOptions, WindowResult } from './internal/window-spec.js';
import { eventOperator } from './operate.js';

/**
 * Tumbling windows of `size`: `[0, size)`, `[size, 2·size)`, … Each record falls in exactly one window. For
 * every window and key, one `{ window: { start, end }, key, value }` is emitted at time `start`, exactly once,
 * when the input frontier reaches `end + allowedLateness`. The value is the key's records in the window
 * (arrival order), or their fold with `aggregate` from `seed`. Records more than `allowedLateness` behind
 * the frontier are late: they go to `late` (see `lateOutput`) or fail the output with a `LateDataError`.
 *
 * Called with `size` alone, it is the window *assigner* of earlier versions instead: records are moved to
 * their window's start time and forwarded at once, for a per-time operator to fold (late records then reach
 * that operator, whose `late` option catches them).
 *
 * @example
 * ```ts
 * // Clicks per user per 60-second window, emitted when each window closes (10 s of lateness allowed).
 * clicks$.pipe(tumblingWindow(60, { key: (c: Click) => c.user, aggregate: (n: number) => n + 1, seed: 0, allowedLateness: 10 }));
 * // messages(0, [{ window: { start: 0, end: 60 }, key: 'ann', value: 3 }, …]) once the frontier reaches 70
 *
 * // The assigner form: the same counts as [window start, count] pairs per key.
 * clicks$.pipe(tumblingWindow(60), aggregatePerTime((c: Click) => c.user, (n: number) => n + 1, 0));
 * ```
 */
export function tumblingWindow<D>(size: number): OperatorFunction<Event<number, D>, Event<number, D>>;
export function tumblingWindow<D, K = undefined>(
  size: number,
  options: WindowOptions<D, K> & { aggregate?: undefined },
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, D[]>>>;
export function tumblingWindow<D, K, A>(
  size: number,
  options: WindowOptions<D, K> & WindowAggregation<D, K, A>,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, A>>>;
export function tumblingWindow<D, K, A>(
  size: number,
  options?: WindowOptions<D, K> & Partial<WindowAggregation<D, K, A>>,
): OperatorFunction<Event<number, D>, Event<number, unknown>> {
  if (!(size > 0) || !Number.isFinite(size)) {
    throw new InvalidTimeError(`tumblingWindow size must be a positive finite number, got ${size}`);
  }
  if (options !== undefined) return fixedWindows<D, K, unknown>('tumblingWindow', size, size, options as never);
  return assignTumbling<D>(size);
}

/**
 * The assigner form: data at `t` moves to its window's start, `⌊t / size⌋ · size`, and the output frontier
 * is the window start of the input frontier, so a window is released exactly when the input has passed its
 * last time. Data is forwarded at once (no buffering).
 */
function assignTumbling<D>(size: number): OperatorFunction<Event<number, D>, Event<number, D>> {
  const windowStart = (t: number): number => Math.floor(t / size) * size;
  return eventOperator<number, D, number, D>((out) => {
    const tracker = new ProgressTracker(numberTimestamp, { mapTime: windowStart });
    const flush = (): void => {
      const changes = tracker.takeOutputChanges();
      if (changes.length > 0) out.next(progress(changes));
    };
    return {
      next(event) {
        if (event.kind === 'messages') {
          assertNumberTime(event.time);
          const start = windowStart(event.time);
          out.next(start === event.time ? event : messages(start, event.data));
        } else {
          tracker.applyInput(event.updates);
          flush();
        }
      },
      complete() {
        tracker.closeInputs();
        flush();
      },
    };
  });
}
