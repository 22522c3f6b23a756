import type { OperatorFunction } from 'rxjs';
import { InvalidTimeError } from '../errors.js';
import { messages, type Event, type Stream } from '../event.js';
import { MutableAntichain } from '../mutable-antichain.js';
import { assertNumberTime } from '../progress-tracker.js';
import { numberTimestamp } from '../timestamp.js';
import { IntervalSide } from './internal/interval-side.js';
import { handleLate } from './internal/late-data.js';
import { frontierValue } from './internal/window-spec.js';
import { mergeSides, type Sided } from './internal/sided.js';
import type { JoinOptions } from './join-per-time.js';
import { eventOperator } from './operate.js';

/** The key functions of an interval join, one per side. */
export interface IntervalJoinKeys<L, R, K> {
  left: (left: L) => K;
  right: (right: R) => K;
}

/**
 * Joins each left record at `tl` with every right record of the same key at `tr`, where
 * `tl + lower ≤ tr ≤ tl + upper` (Flink's interval join), emitting `[left, right]` at time `max(tl, tr)` as
 * soon as the second of the two arrives. A record is kept only while a future record of the other side could
 * still match it — a left one until the frontier passes `tl + upper`, a right one until it passes
 * `tr − lower` — so state is released as the frontier advances. The output frontier is the meet of the
 * inputs'. Number times only. Records behind that frontier go to `late` (tagged `{ side, value }`), or fail
 * the output with a `LateDataError`.
 *
 * @example
 * ```ts
 * // Each ad impression with the clicks on it from 0 to 600 seconds later.
 * impressions$.pipe(intervalJoin(clicks$, { left: (i: Impression) => i.adId, right: (c: Click) => c.adId }, 0, 600));
 * // an impression at 100 and a click at 160 → messages(160, [[impression, click]])
 * ```
 */
export function intervalJoin<L, R, K>(
  other: Stream<number, R>,
  keys: IntervalJoinKeys<L, R, K>,
  lower: number,
  upper: number,
  options?: Omit<JoinOptions<number, L, R>, 'timestamp'>,
): OperatorFunction<Event<number, L>, Event<number, readonly [L, R]>> {
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || lower > upper) {
    throw new InvalidTimeError(`intervalJoin bounds must be finite with lower ≤ upper, got [${lower}, ${upper}]`);
  }
  const late = options?.late;
  const join = eventOperator<number, Sided<L, R>, number, readonly [L, R]>((out) => {
    const frontier = MutableAntichain.withMinimum(numberTimestamp);
    const lefts = new IntervalSide<K, L>();
    const rights = new IntervalSide<K, R>();
    return {
      next(event) {
        if (event.kind === 'progress') {
          // The merged input's progress is the output's: every pair is emitted when its later record arrives.
          if (frontier.updateIter(event.updates).length > 0) {
            const now = frontierValue(frontier.frontier);
            lefts.release(now);
            rights.release(now);
          }
          out.next(event as unknown as Event<number, readonly [L, R]>);
          return;
        }
        const time = event.time;
        assertNumberTime(time);
        const data = event.data;
        if (data.length === 0) return;
        if (time < frontierValue(frontier.frontier)) {
          handleLate(late, 'intervalJoin', time, data, frontier.frontier);
          return;
        }
        const byTime = new Map<number, (readonly [L, R])[]>();
        const emit = (at: number, pair: readonly [L, R]): void => {
          const list = byTime.get(at);
          if (list === undefined) byTime.set(at, [pair]);
          else list.push(pair);
        };
        for (let i = 0; i < data.length; i++) {
          const record = data[i] as Sided<L, R>;
          if (record.side === 'left') {
            const k = keys.left(record.value);
            const candidates = rights.byKey.get(k);
            if (candidates !== undefined) {
              for (const r of candidates) {
                if (r.alive && r.time >= time + lower && r.time <= time + upper) emit(Math.max(time, r.time), [record.value, r.value]);
              }
            }
            lefts.add(k, { time, value: record.value, alive: true }, time + upper);
          } else {
            const k = keys.right(record.value);
            const candidates = lefts.byKey.get(k);
            if (candidates !== undefined) {
              for (const l of candidates) {
                if (l.alive && time >= l.time + lower && time <= l.time + upper) emit(Math.max(time, l.time), [l.value, record.value]);
              }
            }
            rights.add(k, { time, value: record.value, alive: true }, time - lower);
          }
        }
        for (const [at, pairs] of byTime) out.next(messages(at, pairs));
      },
    };
  });
  return (source) => mergeSides(source, other).pipe(join);
}
