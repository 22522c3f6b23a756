import type { OperatorFunction } from 'rxjs';
import { messages, progress, type Event } from '../../event.js';
import { assertNumberTime, ProgressTracker } from '../../progress-tracker.js';
import { TimeHeap } from '../../time-heap.js';
import { numberTimestamp } from '../../timestamp.js';
import { eventOperator } from '../operate.js';
import { handleLate } from './late-data.js';
import { allowedLatenessOf, folderOf, frontierValue, type WindowAggregation, type WindowOptions, type WindowResult } from './window-spec.js';

/**
 * The engine behind `tumblingWindow` and `slidingWindow`: windows `[k·slide, k·slide + size)` for `k ≥ 0`
 * (starts clamped at 0, as Kafka Streams' hopping windows are), one state per window and key, and each
 * window's results emitted once — at the window's start time — when the input frontier reaches its end plus
 * the allowed lateness.
 *
 * The output frontier needs no capabilities: it is the start of the earliest window that a record still
 * accepted (time ≥ frontier − lateness) can fall in, which is ≤ the start of every pending window.
 */
export function fixedWindows<D, K, V>(
  operator: string,
  size: number,
  slide: number,
  options: (WindowOptions<D, K> & Partial<WindowAggregation<D, K, unknown>>) | undefined,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, V>>> {
  const lateness = allowedLatenessOf(operator, options);
  const keyOf = options?.key ?? ((): K => undefined as K);
  const folder = folderOf<D, K, V>(options);
  const late = options?.late;
  const earliestOpenStart = (frontier: number): number => {
    const oldest = Math.max(0, frontier - lateness);
    return Math.max(0, Math.floor((oldest - size) / slide) + 1) * slide;
  };

  return eventOperator<number, D, number, WindowResult<K, V>>((out) => {
    const tracker = new ProgressTracker(numberTimestamp, { mapTime: earliestOpenStart });
    const windows = new Map<number, Map<K, unknown>>();
    const starts = new TimeHeap<number>((a, b) => a - b);

    const emitClosed = (frontier: number): void => {
      while (starts.size > 0 && (starts.peek() as number) + size + lateness <= frontier) {
        const start = starts.pop() as number;
        const groups = windows.get(start) as Map<K, unknown>;
        windows.delete(start);
        const window = { start, end: start + size };
        const results: WindowResult<K, V>[] = [];
        for (const [key, state] of groups) results.push({ window, key, value: folder.finish(state) });
        out.next(messages(start, results));
      }
    };
    const flush = (): void => {
      const changes = tracker.takeOutputChanges();
      if (changes.length > 0) out.next(progress(changes));
    };

    return {
      next(event) {
        if (event.kind === 'progress') {
          if (tracker.applyInput(event.updates).length > 0) emitClosed(frontierValue(tracker.input.frontier));
          flush();
          return;
        }
        const data = event.data;
        const time = event.time;
        assertNumberTime(time);
        if (data.length === 0) return;
        if (time < frontierValue(tracker.input.frontier) - lateness) {
          handleLate(late, operator, time, data, tracker.input.frontier);
          return;
        }
        // The windows holding `time`, latest first; their group maps are looked up once per batch.
        const groupsOf: [Map<K, unknown>, number][] = [];
        for (let start = Math.floor(time / slide) * slide; start > time - size && start >= 0; start -= slide) {
          let groups = windows.get(start);
          if (groups === undefined) {
            windows.set(start, (groups = new Map()));
            starts.push(start);
          }
          groupsOf.push([groups, start]);
        }
        for (let i = 0; i < data.length; i++) {
          const record = data[i] as D;
          const key = keyOf(record);
          for (const [groups, start] of groupsOf) {
            const state = groups.has(key) ? groups.get(key) : folder.create(key, { start, end: start + size });
            groups.set(key, folder.add(state, record, time));
          }
        }
      },
      complete() {
        tracker.closeInputs();
        emitClosed(Infinity);
        flush();
      },
    };
  });
}
