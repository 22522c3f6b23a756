import fc from 'fast-check';
import { tap, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  lateOutput,
  sessionWindow,
  slidingWindow,
  tumblingWindow,
  validate,
  type Event,
  type LateArrival,
  type WindowResult,
} from '../../src/dataflow/index.js';
import { eventsOf, fromEvents, numbers, streamArb } from './helpers.js';
import { classify, frontierTracker, lateStreamArb, type Arrival } from './late-streams.js';

const runs = { numRuns: 300 };
const keyOf = (v: number): number => v % 3;

type Result = WindowResult<number, number[]>;
type WindowOp = (late: ReturnType<typeof lateOutput<number, number>>) => OperatorFunction<Event<number, number>, Event<number, Result>>;

/** `${start},${end},${key}` → the key's values in the window, as a batch computation finds them. */
type Expected = Map<string, number[]>;

function fixedOracle(accepted: Arrival[], size: number, slide: number): Expected {
  const expected: Expected = new Map();
  for (const a of accepted) {
    for (let start = Math.floor(a.time / slide) * slide; start > a.time - size && start >= 0; start -= slide) {
      const id = `${start},${start + size},${keyOf(a.value)}`;
      expected.set(id, [...(expected.get(id) ?? []), a.value]);
    }
  }
  return expected;
}

function sessionOracle(accepted: Arrival[], gap: number): Expected {
  const expected: Expected = new Map();
  const byKey = new Map<number, Arrival[]>();
  for (const a of accepted) byKey.set(keyOf(a.value), [...(byKey.get(keyOf(a.value)) ?? []), a]);
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.time - b.time || a.index - b.index);
    let session: Arrival[] = [];
    const close = (): void => {
      if (session.length === 0) return;
      const first = (session[0] as Arrival).time;
      const last = (session[session.length - 1] as Arrival).time;
      expected.set(`${first},${last + gap},${key}`, session.map((a) => a.value));
      session = [];
    };
    for (const a of list) {
      if (session.length > 0 && a.time - (session[session.length - 1] as Arrival).time >= gap) close();
      session.push(a);
    }
    close();
  }
  return expected;
}

/**
 * Runs `op` on the stream and checks it against `oracle`: the same (window, key) results with the same values,
 * each exactly once, none before the input frontier reached end + lateness, a valid output stream, and the
 * late records counted and published.
 */
function checkWindows(
  events: Event<number, number>[],
  lateness: number,
  op: WindowOp,
  oracle: (accepted: Arrival[]) => Expected,
  valuesInOrder: boolean,
): void {
  const { accepted, late: lateExpected } = classify(events, lateness);
  const late = lateOutput<number, number>();
  const seenLate: LateArrival<number, number>[] = [];
  const sub = late.late$.subscribe((l) => seenLate.push(l));
  const input = frontierTracker();
  const out = eventsOf(
    fromEvents(events).pipe(
      tap((e) => input.observe(e)),
      op(late),
      tap((e) => {
        if (e.kind !== 'messages') return;
        for (const r of Array.from(e.data)) {
          expect(e.time).toBe(r.window.start);
          expect(input.value).toBeGreaterThanOrEqual(r.window.end + lateness);
        }
      }),
      validate<number, Result>({ strict: true }),
    ),
  );
  sub.unsubscribe();
  const actual: Expected = new Map();
  for (const e of out) {
    if (e.kind !== 'messages') continue;
    for (const r of Array.from(e.data)) {
      const id = `${r.window.start},${r.window.end},${r.key}`;
      expect(actual.has(id), `window ${id} emitted twice`).toBe(false);
      actual.set(id, valuesInOrder ? r.value : [...r.value].sort((a, b) => a - b));
    }
  }
  const expected = oracle(accepted);
  if (!valuesInOrder) for (const [id, v] of expected) expected.set(id, [...v].sort((a, b) => a - b));
  expect(new Map([...actual].sort())).toEqual(new Map([...expected].sort()));
  expect(late.count).toBe(lateExpected.length);
  expect(seenLate.map((l) => [l.time, l.value])).toEqual(lateExpected.map((a) => [a.time, a.value]));
}

const lateness = fc.integer({ min: 0, max: 6 });

describe('windowed operators against a batch computation (out of order, late, several epochs)', () => {
  it('tumblingWindow', () => {
    fc.assert(
      fc.property(lateStreamArb(), fc.integer({ min: 1, max: 8 }), lateness, (events, size, allowedLateness) =>
        checkWindows(
          events,
          allowedLateness,
          (late) => tumblingWindow(size, { key: keyOf, allowedLateness, late }),
          (accepted) => fixedOracle(accepted, size, size),
          true,
        ),
      ),
      runs,
    );
  });

  it('slidingWindow', () => {
    fc.assert(
      fc.property(
        lateStreamArb(),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 12 }),
        lateness,
        (events, size, slide, allowedLateness) =>
          checkWindows(
            events,
            allowedLateness,
            (late) => slidingWindow(size, slide, { key: keyOf, allowedLateness, late }),
            (accepted) => fixedOracle(accepted, size, slide),
            true,
          ),
      ),
      runs,
    );
  });

  it('sessionWindow (values in time order)', () => {
    fc.assert(
      fc.property(lateStreamArb(), fc.integer({ min: 1, max: 6 }), lateness, (events, gap, allowedLateness) =>
        checkWindows(
          events,
          allowedLateness,
          (late) => sessionWindow(gap, { key: keyOf, allowedLateness, late }),
          (accepted) => sessionOracle(accepted, gap),
          true,
        ),
      ),
      runs,
    );
  });

  it('an aggregate gives the fold of the same records', () => {
    fc.assert(
      fc.property(lateStreamArb(), fc.integer({ min: 1, max: 6 }), (events, gap) => {
        const sums = eventsOf(fromEvents(events).pipe(sessionWindow(gap, { key: keyOf, aggregate: (s: number, v: number) => s + v, seed: 0, late: lateOutput() })));
        const lists = eventsOf(fromEvents(events).pipe(sessionWindow(gap, { key: keyOf, late: lateOutput() })));
        const flat = <V>(es: Event<number, WindowResult<number, V>>[]): WindowResult<number, V>[] =>
          es.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data) : []));
        expect(flat(sums).map((r) => r.value)).toEqual(flat(lists).map((r) => r.value.reduce((a, b) => a + b, 0)));
      }),
      runs,
    );
  });
});

describe('on conforming streams (the shared generator: counts above one, several epochs)', () => {
  const ops: [string, () => OperatorFunction<Event<number, number>, Event<number, unknown>>][] = [
    ['tumblingWindow', () => tumblingWindow(3, { key: keyOf })],
    ['slidingWindow', () => slidingWindow(4, 2, { key: keyOf, allowedLateness: 1 })],
    ['sessionWindow', () => sessionWindow(2, { key: keyOf, allowedLateness: 2 })],
  ];
  for (const [name, op] of ops) {
    it(`${name} never finds a late record and emits every record once per window holding it`, () => {
      fc.assert(
        fc.property(streamArb(numbers), (events) => {
          // No late output: a late record would fail the output.
          const out = eventsOf(fromEvents(events).pipe(op(), validate({ strict: true })));
          const records = events.reduce((n, e) => n + (e.kind === 'messages' ? e.data.length : 0), 0);
          const emitted = out.reduce((n, e) => n + (e.kind === 'messages' ? Array.from(e.data as ArrayLike<Result>).reduce((m, r) => m + r.value.length, 0) : 0), 0);
          if (name === 'slidingWindow') expect(emitted).toBeGreaterThanOrEqual(records);
          else expect(emitted).toBe(records);
        }),
        runs,
      );
    });
  }
});
