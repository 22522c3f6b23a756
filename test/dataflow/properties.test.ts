import fc from 'fast-check';
import { Subject, tap, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  Antichain,
  aggregatePerTime,
  compareValues,
  countPerTime,
  delay,
  extract,
  filterData,
  flatMapData,
  inspect,
  mapBatch,
  mapData,
  merge,
  MutableAntichain,
  probe,
  reducePerTime,
  tumblingWindow,
  validate,
  type Event,
  type Stream,
} from '../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents, numbers, pairs, streamArb, type TimeKind } from './helpers.js';

const runs = { numRuns: 300 };

/** The stream's events, after checking it is a valid stream whose progress events are compacted. */
function validEvents<T, D>(kind: TimeKind<T>, stream: Stream<T, D>): Event<T, D>[] {
  return eventsOf(stream.pipe(validate<T, D>({ timestamp: kind.order, strict: true })));
}

function perTimeOracle<T, A>(kind: TimeKind<T>, events: Event<T, number>[], fold: (data: number[]) => A): [T, A[]][] {
  return extract(events, { timestamp: kind.order }).map(([t, data]) => [t, [fold(data)]]);
}

for (const [label, kind] of [
  ['number times', numbers],
  ['pair times (partial order)', pairs],
] as [string, TimeKind<unknown>][]) {
  const ts = { timestamp: kind.order };
  const arb = streamArb(kind);

  describe(`valid streams with ${label}`, () => {
    it('the generator only produces valid streams', () => {
      fc.assert(fc.property(arb, (events) => void validEvents(kind, fromEvents(events))), runs);
    });

    const operators: [string, () => OperatorFunction<Event<unknown, number>, Event<unknown, unknown>>][] = [
      ['mapData', () => mapData((x: number) => x * 2)],
      ['mapData into Float64Array', () => mapData((x: number) => x / 2, { output: 'float64' })],
      ['filterData', () => filterData((x: number) => x % 2 === 0)],
      ['flatMapData', () => flatMapData((x: number) => (x > 0 ? [x, x] : []))],
      ['mapBatch', () => mapBatch((b) => Array.from(b).reverse())],
      ['inspect', () => inspect(() => undefined)],
      ['countPerTime', () => countPerTime(ts)],
      ['reducePerTime', () => reducePerTime((a: number, x: number) => a + x, 0, ts)],
      ['aggregatePerTime', () => aggregatePerTime((x: number) => x % 3, (n: number) => n + 1, 0, ts)],
      ['delay', () => delay((t) => kind.shift(t, [0, 1]), ts)],
      ['probe', () => probe(ts)],
      ['merge of one', () => (s) => merge([s], ts)],
    ];
    for (const [name, op] of operators) {
      it(`${name} turns every valid stream into a valid stream with the same completion`, () => {
        fc.assert(
          fc.property(arb, (events) => {
            const out = validEvents(kind, fromEvents(events).pipe(op()));
            expect(out.length).toBeGreaterThan(0); // at least the final progress
          }),
          runs,
        );
      });
    }

    it('countPerTime equals counting the extracted data, and emits each count once the input passed its time', () => {
      fc.assert(
        fc.property(arb, (events) => {
          const seen = probe(ts);
          const out = validEvents(
            kind,
            fromEvents(events).pipe(
              seen,
              countPerTime(ts),
              tap((e) => {
                if (e.kind === 'messages') expect(seen.lessEqual(e.time)).toBe(false);
              }),
            ),
          );
          const times = out.filter((e) => e.kind === 'messages').map((e) => kind.order.key(e.time as never));
          expect(new Set(times).size).toBe(times.length);
          expect(extract(out, ts)).toEqual(perTimeOracle(kind, events, (d) => d.length));
        }),
        runs,
      );
    });

    it('reducePerTime and aggregatePerTime equal a batch computation', () => {
      fc.assert(
        fc.property(arb, (events) => {
          const sums = validEvents(kind, fromEvents(events).pipe(reducePerTime((a: number, x: number) => a + x, 0, ts)));
          expect(extract(sums, ts)).toEqual(perTimeOracle(kind, events, (d) => d.reduce((a, x) => a + x, 0)));
          const groups = validEvents(
            kind,
            fromEvents(events).pipe(aggregatePerTime((x: number) => ((x % 3) + 3) % 3, (n: number) => n + 1, 0, ts)),
          );
          const expected = extract(events, ts).map(([t, data]) => {
            const m = new Map<number, number>();
            for (const x of data) m.set(((x % 3) + 3) % 3, (m.get(((x % 3) + 3) % 3) ?? 0) + 1);
            return [t, [...m].sort(compareValues)];
          });
          expect(extract(groups, ts)).toEqual(expected);
        }),
        runs,
      );
    });

    it('stateless operators keep the data at its time (Extract semantics)', () => {
      fc.assert(
        fc.property(arb, (events) => {
          const doubled = extract(validEvents(kind, fromEvents(events).pipe(mapData((x: number) => x * 2))), ts);
          expect(doubled).toEqual(
            extract(events, ts).map(([t, d]) => [t, d.map((x) => x * 2).sort(compareValues)]),
          );
          const evens = extract(validEvents(kind, fromEvents(events).pipe(filterData((x: number) => x % 2 === 0))), ts);
          expect(evens).toEqual(
            extract(events, ts)
              .map(([t, d]) => [t, d.filter((x) => x % 2 === 0)] as const)
              .filter(([, d]) => d.length > 0),
          );
        }),
        runs,
      );
    });

    it('delay moves every record to its new time and keeps nothing else', () => {
      fc.assert(
        fc.property(arb, (events) => {
          const later = (t: unknown) => kind.shift(t, [1, 0]);
          const out = validEvents(kind, fromEvents(events).pipe(delay(later, ts)));
          const moved = extract(
            events.map((e) => (e.kind === 'messages' ? { ...e, time: later(e.time) } : e)),
            ts,
          );
          expect(extract(out, ts)).toEqual(moved);
        }),
        runs,
      );
    });

    it('merge of any interleaving of k streams is valid, tracks the meet of the inputs, and keeps per-time results', () => {
      fc.assert(
        fc.property(fc.array(arb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 200 }), (inputs, schedule) => {
          const subjects = inputs.map(() => new Subject<Event<unknown, number>>());
          const frontiers = inputs.map(() => MutableAntichain.withMinimum(kind.order));
          const seen = probe(ts);
          const merged = collectSync(merge(subjects, ts).pipe(seen, validate({ ...ts, strict: true })));
          const positions = inputs.map(() => 0);
          const feed = (i: number): void => {
            const event = inputs[i]?.[positions[i]!++] as Event<unknown, number>;
            if (event.kind === 'progress') frontiers[i]!.updateIter(event.updates);
            subjects[i]!.next(event);
            if (positions[i] === inputs[i]!.length) subjects[i]!.complete();
            // The merged frontier is the meet of the inputs' frontiers.
            const meet = new Antichain(kind.order, frontiers.flatMap((f) => [...f.frontier]));
            expect(new Antichain(kind.order, seen.frontier).equals(meet)).toBe(true);
          };
          for (const s of schedule) {
            const live = inputs.map((_, i) => i).filter((i) => positions[i]! < inputs[i]!.length);
            if (live.length === 0) break;
            feed(live[s % live.length]!);
          }
          inputs.forEach((events, i) => {
            while (positions[i]! < events.length) feed(i);
          });
          expect(merged.error).toBeUndefined();
          expect(merged.completed).toBe(true);
          expect(seen.done).toBe(true);
          const all = inputs.flat();
          expect(extract(merged.events, ts)).toEqual(extract(all, ts));
          const counts = validEvents(kind, fromEvents(merged.events).pipe(countPerTime(ts)));
          expect(extract(counts, ts)).toEqual(perTimeOracle(kind, all, (d) => d.length));
        }),
        { numRuns: 200 },
      );
    });
  });
}

describe('tumblingWindow (number times)', () => {
  it('is valid and equals grouping by window start', () => {
    fc.assert(
      fc.property(streamArb(numbers), fc.integer({ min: 1, max: 5 }), (events, size) => {
        const out = validEvents(numbers, fromEvents(events).pipe(tumblingWindow(size), countPerTime()));
        const byWindow = new Map<number, number>();
        for (const [t, d] of extract(events)) {
          const w = Math.floor(t / size) * size;
          byWindow.set(w, (byWindow.get(w) ?? 0) + d.length);
        }
        expect(extract(out)).toEqual([...byWindow].sort((a, b) => a[0] - b[0]).map(([w, n]) => [w, [n]]));
      }),
      runs,
    );
  });
});
