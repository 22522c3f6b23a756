import type { OperatorFunction } from 'rxjs';
import { InvalidTimeError } from '../errors.js';
import { messages, progress, type Event } from '../event.js';
import { assertNumberTime, ProgressTracker } from '../progress-tracker.js';
import { numberTimestamp } from '../timestamp.js';
import { eventOperator } from './operate.js';

/**
 * Assigns number times to tumbling windows of `size`: data at `t` moves to its window's start,
 * `⌊t / size⌋ · size`, and the output frontier is the window start of the input frontier, so a window is
 * released exactly when the input has passed its last time. Data is forwarded at once (no buffering);
 * follow with `countPerTime`, `reducePerTime` or `aggregatePerTime` for one result per window.
 *
 * @example
 * ```ts
 * // Clicks per 60-second window, emitted when each window closes.
 * clicks$.pipe(tumblingWindow(60), countPerTime());
 * ```
 */
export function tumblingWindow<D>(size: number): OperatorFunction<Event<number, D>, Event<number, D>> {
  if (!(size > 0) || !Number.isFinite(size)) {
    throw new InvalidTimeError(`tumblingWindow size must be a positive finite number, got ${size}`);
  }
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
