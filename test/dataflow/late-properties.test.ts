import fc from 'fast-check';
import type { OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  aggregatePerTime,
  countPerTime,
  delay,
  extract,
  LateDataError,
  lateOutput,
  messages,
  MutableAntichain,
  reducePerTime,
  validate,
  type Event,
  type LateOutput,
} from '../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents, numbers, pairs, streamArb, type TimeKind } from './helpers.js';

const runs = { numRuns: 300 };

/**
 * Injects late records into a valid stream: after a progress event, each time that carried data earlier and
 * that the frontier no longer allows may get a batch `[-1]` at it (a stream with a heuristic watermark does
 * this). Returns the stream and how many records were injected.
 */
function injectLate<T>(
  kind: TimeKind<T>,
  events: Event<T, number>[],
  picks: boolean[],
): { events: Event<T, number>[]; injected: number; delayable: T[] } {
  const frontier = MutableAntichain.withMinimum(kind.order);
  const seen: T[] = [];
  const result: Event<T, number>[] = [];
  let injected = 0;
  let pick = 0;
  // The injected times whose delayed time (shifted by [0, 1]) the frontier still allowed: delay keeps those.
  const delayable: T[] = [];
  for (const e of events) {
    result.push(e);
    if (e.kind === 'messages') {
      seen.push(e.time);
      continue;
    }
    frontier.updateIter(e.updates);
    for (const t of seen) {
      if (!frontier.lessEqual(t) && picks[pick++ % Math.max(1, picks.length)] === true) {
        result.push(messages(t, [-1]));
        injected++;
        if (frontier.lessEqual(kind.shift(t, [0, 1]))) delayable.push(kind.shift(t, [0, 1]));
      }
    }
  }
  return { events: result, injected, delayable };
}

for (const [label, kind] of [
  ['number times', numbers],
  ['pair times (partial order)', pairs],
] as [string, TimeKind<unknown>][]) {
  const ts = { timestamp: kind.order };
  describe(`late records at per-time operators, ${label}`, () => {
    type Op = (late: LateOutput<unknown, number> | undefined) => OperatorFunction<Event<unknown, number>, Event<unknown, unknown>>;
    const operators: [string, Op][] = [
      ['countPerTime', (late) => countPerTime<unknown, number>({ ...ts, late })],
      ['reducePerTime', (late) => reducePerTime((a: number, x: number) => a + x, 0, { ...ts, late })],
      ['aggregatePerTime', (late) => aggregatePerTime((x: number) => x % 3, (n: number) => n + 1, 0, { ...ts, late })],
      ['delay', (late) => delay((t: unknown) => kind.shift(t, [0, 1]), { ...ts, late })],
    ];
    for (const [name, op] of operators) {
      it(`${name}: late records are diverted and counted, the rest is computed as if they never came`, () => {
        fc.assert(
          fc.property(streamArb(kind), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), (valid, picks) => {
            const { events, injected, delayable } = injectLate(kind, valid, picks);
            const late = lateOutput<unknown, number>();
            const values: number[] = [];
            late.late$.subscribe((l) => values.push(l.value));
            const withLate = eventsOf(fromEvents(events).pipe(op(late), validate({ ...ts, strict: true })));
            const without = eventsOf(fromEvents(valid).pipe(op(lateOutput()), validate({ ...ts, strict: true })));
            if (name === 'delay') {
              // delay keeps a record whose own time is done while the time it moves to is not.
              const kept = delayable.map((t) => messages(t, [-1]));
              expect(extract(withLate, ts)).toEqual(extract([...without, ...kept], ts));
              expect(late.count).toBe(injected - delayable.length);
            } else {
              expect(extract(withLate, ts)).toEqual(extract(without, ts));
              expect(late.count).toBe(injected);
            }
            expect(values.every((v) => v === -1)).toBe(true);
            expect(values.length).toBe(late.count);
            if (late.count > 0) {
              const failed = collectSync(fromEvents(events).pipe(op(undefined)));
              expect(failed.error).toBeInstanceOf(LateDataError);
            }
          }),
          runs,
        );
      });
    }
  });
}
