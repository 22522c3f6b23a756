import fc from 'fast-check';
import { Subject, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  aggregatePerKey,
  extract,
  intervalJoin,
  joinPerTime,
  lateOutput,
  messages,
  progress,
  reducePerKey,
  validate,
  type Event,
  type LateOutput,
  type Sided,
} from '../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents, numbers, pairs, streamArb, type Collected, type TimeKind } from './helpers.js';
import { classify, lateStreamArb, type Arrival } from './late-streams.js';

const runs = { numRuns: 300 };
const keyOf = (v: number): number => v % 3;

/** Per time ascending, each key's running sum after that time (reset when unseen for `ttl`), as pairs. */
function keyedOracle(accepted: Arrival[], ttl: number | undefined, first: (v: number) => number): [number, [number, number][]][] {
  const times = [...new Set(accepted.map((a) => a.time))].sort((a, b) => a - b);
  const state = new Map<number, { sum: number; updated: number }>();
  const result: [number, [number, number][]][] = [];
  for (const t of times) {
    const touched = new Map<number, number>();
    for (const a of accepted.filter((x) => x.time === t)) {
      const k = keyOf(a.value);
      let s = state.get(k);
      if (s !== undefined && ttl !== undefined && s.updated + ttl <= t) s = undefined;
      s = s === undefined ? { sum: first(a.value), updated: t } : { sum: s.sum + a.value, updated: t };
      state.set(k, s);
      touched.set(k, s.sum);
    }
    result.push([t, [...touched].sort((x, y) => x[0] - y[0])]);
  }
  return result;
}

describe('keyed state against a batch computation (out of order, late, several epochs, TTL)', () => {
  const ttlArb = fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined });
  it('aggregatePerKey', () => {
    fc.assert(
      fc.property(lateStreamArb(), ttlArb, (events, ttl) => {
        const late = lateOutput<number, number>();
        const out = eventsOf(
          fromEvents(events).pipe(aggregatePerKey(keyOf, (s: number, v: number) => s + v, 100, { late, ...(ttl === undefined ? {} : { ttl }) }), validate({ strict: true })),
        );
        const { accepted, late: lateExpected } = classify(events, 0);
        expect(extract(out)).toEqual(keyedOracle(accepted, ttl, (v) => 100 + v));
        expect(late.count).toBe(lateExpected.length);
      }),
      runs,
    );
  });
  it('reducePerKey', () => {
    fc.assert(
      fc.property(lateStreamArb(), ttlArb, (events, ttl) => {
        const late = lateOutput<number, number>();
        const out = eventsOf(
          fromEvents(events).pipe(reducePerKey(keyOf, (s: number, v: number) => s + v, { late, ...(ttl === undefined ? {} : { ttl }) }), validate({ strict: true })),
        );
        const { accepted, late: lateExpected } = classify(events, 0);
        expect(extract(out)).toEqual(keyedOracle(accepted, ttl, (v) => v));
        expect(late.count).toBe(lateExpected.length);
      }),
      runs,
    );
  });
});

describe('joinPerTime against a batch computation', () => {
  for (const [label, kind] of [
    ['number times', numbers],
    ['pair times (partial order)', pairs],
  ] as [string, TimeKind<unknown>][]) {
    it(`pairs of equal keys at equal times, ${label}`, () => {
      fc.assert(
        fc.property(streamArb(kind), streamArb(kind), (left, right) => {
          const ts = { timestamp: kind.order };
          const out = eventsOf(fromEvents(left).pipe(joinPerTime(fromEvents(right), keyOf, keyOf, ts), validate({ ...ts, strict: true })));
          const ls = extract(left, ts);
          const rs = extract(right, ts);
          const expected: Event<unknown, readonly [number, number]>[] = [];
          for (const [t, lvs] of ls) {
            const match = rs.find(([u]) => kind.order.key(u) === kind.order.key(t));
            if (match === undefined) continue;
            const pairsAt = lvs.flatMap((l) => match[1].filter((r) => keyOf(r) === keyOf(l)).map((r) => [l, r] as const));
            expected.push(messages(t, pairsAt));
          }
          expect(extract(out, ts)).toEqual(extract(expected, ts));
        }),
        runs,
      );
    });
  }
});

/**
 * Two number-time streams driven in a generated interleaving through Subjects, so the merged frontier at each
 * record's arrival — which decides lateness — is known to the oracle.
 */
type Step = { side: 0 | 1; event: Event<number, number> };
const interleavedArb = fc
  .tuple(lateStreamArb(25), lateStreamArb(25), fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }))
  .map(([left, right, choice]) => {
    const steps: Step[] = [];
    let i = 0;
    let j = 0;
    let c = 0;
    while (i < left.length || j < right.length) {
      const takeLeft = j >= right.length || (i < left.length && choice[c++ % choice.length] === true);
      steps.push(takeLeft ? { side: 0, event: left[i++] as Event<number, number> } : { side: 1, event: right[j++] as Event<number, number> });
    }
    return steps;
  });

function frontierAfter(f: number, e: Event<number, number>): number {
  if (e.kind !== 'progress') return f;
  const up = e.updates.find(([, d]) => d > 0);
  return up === undefined ? Infinity : up[0];
}

/** Feeds the interleaving into two Subjects through `op`, and splits its records as the merged frontier does. */
function runInterleaved(
  steps: Step[],
  op: (left: Subject<Event<number, number>>, right: Subject<Event<number, number>>, late: LateOutput<number, Sided<number, number>>) => Observable<Event<number, unknown>>,
): { result: Collected<number, unknown>; accepted: [Arrival[], Arrival[]]; lateExpected: Sided<number, number>[]; lateSeen: Sided<number, number>[] } {
  const left = new Subject<Event<number, number>>();
  const right = new Subject<Event<number, number>>();
  const late = lateOutput<number, Sided<number, number>>();
  const lateSeen: Sided<number, number>[] = [];
  late.late$.subscribe((l) => lateSeen.push(l.value));
  const result = collectSync(op(left, right, late).pipe(validate({ strict: true })));
  const fs = [0, 0];
  const accepted: [Arrival[], Arrival[]] = [[], []];
  const lateExpected: Sided<number, number>[] = [];
  let index = 0;
  for (const { side, event } of steps) {
    if (event.kind === 'messages') {
      for (const v of Array.from(event.data)) {
        if (event.time < Math.min(fs[0] as number, fs[1] as number)) lateExpected.push({ side: side === 0 ? 'left' : 'right', value: v });
        else accepted[side].push({ time: event.time, value: v, index: index++ });
      }
    } else fs[side] = frontierAfter(fs[side] as number, event);
    (side === 0 ? left : right).next(event);
  }
  left.complete();
  right.complete();
  return { result, accepted, lateExpected, lateSeen };
}

describe('joinPerTime with late records (interleaved inputs, several epochs)', () => {
  it('joins the records that were on time, and diverts and counts the rest', () => {
    fc.assert(
      fc.property(interleavedArb, (steps) => {
        const { result, accepted, lateExpected, lateSeen } = runInterleaved(steps, (left, right, late) =>
          left.pipe(joinPerTime(right, keyOf, keyOf, { late })),
        );
        expect(result.error).toBeUndefined();
        const expected: Event<number, readonly [number, number]>[] = [];
        for (const l of accepted[0]) {
          for (const r of accepted[1]) {
            if (l.time === r.time && keyOf(l.value) === keyOf(r.value)) expected.push(messages(l.time, [[l.value, r.value] as const]));
          }
        }
        expect(extract(result.events)).toEqual(extract(expected));
        expect(lateSeen).toEqual(lateExpected);
      }),
      runs,
    );
  });
});

describe('intervalJoin against a batch computation (interleaved inputs, late records, several epochs)', () => {
  it('joins records of equal key with tl + lower ≤ tr ≤ tl + upper, at max(tl, tr), once each', () => {
    fc.assert(
      fc.property(interleavedArb, fc.integer({ min: -6, max: 6 }), fc.nat(8), (steps, lower, width) => {
        const upper = lower + width;
        const { result, accepted, lateExpected, lateSeen } = runInterleaved(steps, (left, right, late) =>
          left.pipe(intervalJoin(right, { left: keyOf, right: keyOf }, lower, upper, { late })),
        );
        expect(result.error).toBeUndefined();
        expect(result.completed).toBe(true);
        const expected: Event<number, readonly [number, number]>[] = [];
        for (const l of accepted[0]) {
          for (const r of accepted[1]) {
            if (keyOf(l.value) === keyOf(r.value) && l.time + lower <= r.time && r.time <= l.time + upper) {
              expected.push(messages(Math.max(l.time, r.time), [[l.value, r.value] as const]));
            }
          }
        }
        expect(extract(result.events)).toEqual(extract(expected));
        expect(lateSeen).toEqual(lateExpected);
      }),
      runs,
    );
  });

  it('with no late records and no side output it never fails', () => {
    const out = eventsOf(
      fromEvents([messages(0, [1]), progress([[0, -1], [5, 1]]), messages(5, [4]), progress([[5, -1]])]).pipe(
        intervalJoin(fromEvents([messages(3, [7]), progress([[0, -1]])]), { left: keyOf, right: keyOf }, 0, 5),
      ),
    );
    // 7 at 3 is within [0, 5] of 1 at 0, but before 4 at 5.
    expect(extract(out)).toEqual([[3, [[1, 7]]]]);
  });
});
