import type { OperatorFunction } from 'rxjs';
import { messages, progress, type Event } from '../event.js';
import { assertNumberTime, ProgressTracker } from '../progress-tracker.js';
import { TimeHeap } from '../time-heap.js';
import { numberTimestamp } from '../timestamp.js';
import { handleLate } from './internal/late-data.js';
import {
  allowedLatenessOf,
  checkLength,
  folderOf,
  frontierValue,
  type WindowAggregation,
  type WindowOptions,
  type WindowResult,
} from './internal/window-spec.js';
import { eventOperator } from './operate.js';

/** One open session of one key: its records (with times, folded in time order when it closes). */
interface Session<K, D> {
  readonly key: K;
  start: number;
  last: number;
  records: [number, D][];
  closed: boolean;
}

/**
 * Session windows: per key, records less than `gap` apart form one session, whose window is
 * `[first time, last time + gap)`; a record that bridges two sessions merges them. For every session one
 * `{ window: { start, end }, key, value }` is emitted at time `start`, exactly once, when the input frontier
 * reaches `end + allowedLateness`. The value is the session's records in time order (arrival order within
 * a time), or their fold with `aggregate` from `seed` in that order. Records more than `allowedLateness`
 * behind the frontier are late: they go to `late` (see `lateOutput`) or fail the output with a
 * `LateDataError`. That rule also guarantees a record never reaches a session already emitted.
 *
 * A session keeps its records until it closes (merging sessions needs them, since an aggregate cannot be
 * split or merged), and the output holds a capability at the start of every open session.
 *
 * @example
 * ```ts
 * // Clicks per user session; a session ends after 30 s without a click.
 * clicks$.pipe(sessionWindow(30, { key: (c: Click) => c.user, aggregate: (n: number) => n + 1, seed: 0 }));
 * // clicks of ann at 0, 10, 50 → { window: { start: 0, end: 40 }, key: 'ann', value: 2 } at time 0 once the
 * // frontier reaches 40, and { window: { start: 50, end: 80 }, key: 'ann', value: 1 } at time 50 at 80
 * ```
 */
export function sessionWindow<D, K = undefined>(
  gap: number,
  options?: WindowOptions<D, K> & { aggregate?: undefined },
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, D[]>>>;
export function sessionWindow<D, K, A>(
  gap: number,
  options: WindowOptions<D, K> & WindowAggregation<D, K, A>,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, A>>>;
export function sessionWindow<D, K, A>(
  gap: number,
  options?: WindowOptions<D, K> & Partial<WindowAggregation<D, K, A>>,
): OperatorFunction<Event<number, D>, Event<number, WindowResult<K, unknown>>> {
  const operator = 'sessionWindow';
  checkLength(operator, 'gap', gap);
  const lateness = allowedLatenessOf(operator, options);
  const keyOf = options?.key ?? ((): K => undefined as K);
  const folder = folderOf<D, K, unknown>(options as never);
  const late = options?.late;
  // Records accepted from now on have times ≥ frontier − lateness, so no new session starts earlier.
  const earliestNewStart = (frontier: number): number => Math.max(0, frontier - lateness);

  return eventOperator<number, D, number, WindowResult<K, unknown>>((out) => {
    const tracker = new ProgressTracker(numberTimestamp, { capabilities: true, mapTime: earliestNewStart });
    const open = new Map<K, Session<K, D>[]>();
    // Sessions by end; an entry is stale once its session closed or grew (a fresh entry was pushed then).
    const ends = new TimeHeap<{ end: number; session: Session<K, D> }>((a, b) => a.end - b.end);

    const add = (key: K, time: number, record: D): void => {
      let sessions = open.get(key);
      if (sessions === undefined) open.set(key, (sessions = []));
      // The sessions whose window [start, last + gap) overlaps the record's own [time, time + gap).
      let merged: Session<K, D> | undefined;
      let bridged = false;
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i] as Session<K, D>;
        if (!(time < s.last + gap && s.start < time + gap)) continue;
        if (merged === undefined) {
          merged = s;
          continue;
        }
        // A bridging record: fold s into merged and drop s (its capability goes with it).
        bridged = true;
        if (s.start < merged.start) {
          tracker.hold(s.start);
          tracker.release(merged.start);
          merged.start = s.start;
        }
        merged.last = Math.max(merged.last, s.last);
        for (const r of s.records) merged.records.push(r);
        s.closed = true;
        tracker.release(s.start);
        sessions.splice(i--, 1);
      }
      if (merged === undefined) {
        merged = { key, start: time, last: time, records: [], closed: false };
        sessions.push(merged);
        tracker.hold(time);
        ends.push({ end: time + gap, session: merged });
      } else {
        if (time < merged.start) {
          tracker.hold(time);
          tracker.release(merged.start);
          merged.start = time;
        }
        // A new end needs a heap entry; a record inside the session (the common case) needs none.
        if (time > merged.last || bridged) {
          if (time > merged.last) merged.last = time;
          ends.push({ end: merged.last + gap, session: merged });
        }
      }
      merged.records.push([time, record]);
    };

    const emitClosed = (frontier: number): void => {
      const byStart = new Map<number, WindowResult<K, unknown>[]>();
      while (ends.size > 0 && (ends.peek() as { end: number }).end + lateness <= frontier) {
        const { end, session } = ends.pop() as { end: number; session: Session<K, D> };
        if (session.closed || session.last + gap !== end) continue;
        session.closed = true;
        const sessions = open.get(session.key) as Session<K, D>[];
        sessions.splice(sessions.indexOf(session), 1);
        if (sessions.length === 0) open.delete(session.key);
        // Stable: records of one time stay in arrival order.
        session.records.sort((a, b) => a[0] - b[0]);
        const window = { start: session.start, end };
        let state = folder.create(session.key, window);
        for (const [time, record] of session.records) state = folder.add(state, record, time);
        let results = byStart.get(session.start);
        if (results === undefined) byStart.set(session.start, (results = []));
        results.push({ window, key: session.key, value: folder.finish(state) });
        // Queued: applied by the next flush, after the results below are out.
        tracker.release(session.start);
      }
      for (const [start, results] of byStart) out.next(messages(start, results));
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
        for (let i = 0; i < data.length; i++) add(keyOf(data[i] as D), time, data[i] as D);
        // Holds taken for new sessions are applied at once, so the output frontier never passes them.
        flush();
      },
      complete() {
        tracker.closeInputs();
        emitClosed(Infinity);
        flush();
      },
    };
  });
}
