import type { OperatorFunction } from 'rxjs';
import type { Event } from '../event.js';
import { fixedWindows } from './internal/fixed-windows.js';
import { InvalidTimeError } from '../errors.js';
import { checkLength, type WindowAggregation, type WindowOptions, type WindowResult } from './internal/window-spec.js';

/**
 * The default bound on `⌈size / slide⌉`, the windows one record is folded into. Kafka has no such limit (its
 * hopping windows have the same per-record cost); 1,000 is far above ordinary ratios (a minute every second is
 * 60) and stops a slip such as `slidingWindow(3_600_000, 1)` from turning each record into millions of folds.
 */
export const DEFAULT_MAX_WINDOWS_PER_RECORD = 1000;

/** Options of `slidingWindow`: those of every window, plus its per-record bound. */
export interface SlidingWindowOptions<D, K> extends WindowOptions<D, K> {
  /** The most windows one record may fall in, `⌈size / slide⌉` (default {@link DEFAULT_MAX_WINDOWS_PER_RECORD}). */
  maxWindowsPerRecord?: number;
}

/**
 * Sliding (hopping) windows of `size` that start every `slide`: `[k·slide, k·slide + size)` for `k ≥ 0`, so
 * a record at `t` falls in up to `⌈size / slide⌉` windows (fewer near 0: windows never start before 0, as in
 * Kafka Streams; with `slide > size` some times fall in none). For every window and key, one
 * `{ window: { start, end }, key, value }` is emitted at time `start`, exactly once, when the input frontier
 * reaches `end + allowedLateness`. The value is the key's records in the window, or their fold with
 * `aggregate` from `seed`. Records more than `allowedLateness` behind the frontier are late: they go to
 * `late` (see `lateOutput`) or fail the output with a `LateDataError`.
 *
 * Each record is folded into each of its windows, so the cost per record grows with `size / slide`, which
 * `maxWindowsPerRecord` bounds (default 1,000; a larger ratio is refused when the operator is created).
 *
 * @example
 * ```ts
 * // Word counts over the last minute, every 20 seconds.
 * words$.pipe(slidingWindow(60, 20, { key: (w: string) => w, aggregate: (n: number) => n + 1, seed: 0 }));
 * // messages(0, [{ window: { start: 0, end: 60 }, key: 'fox', value: 4 }, …]) once the frontier reaches 60,
 * // then messages(20, [{ window: { start: 20, end: 80 }, … }]) at 80, …
 * ```
 */
export function slidingWindow<D, K = undefined>(
  size: number,
  slide: number,
  options?: SlidingWindowOptions<D, K> & { aggregate?: undefined },
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, D[]>>>;
export function slidingWindow<D, K, A>(
  size: number,
  slide: number,
  options: SlidingWindowOptions<D, K> & WindowAggregation<D, K, A>,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, A>>>;
export function slidingWindow<D, K, A>(
  size: number,
  slide: number,
  options?: SlidingWindowOptions<D, K> & Partial<WindowAggregation<D, K, A>>,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, unknown>>> {
  checkLength('slidingWindow', 'size', size);
  checkLength('slidingWindow', 'slide', slide);
  const limit = options?.maxWindowsPerRecord ?? DEFAULT_MAX_WINDOWS_PER_RECORD;
  if (Math.ceil(size / slide) > limit) {
    throw new InvalidTimeError(
      `slidingWindow(${size}, ${slide}) puts each record in ${Math.ceil(size / slide)} windows, over ` +
        `maxWindowsPerRecord (${limit}); raise maxWindowsPerRecord if that is intended, or use a larger slide`,
    );
  }
  return fixedWindows<D, K, unknown>('slidingWindow', size, slide, options as never);
}
