import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Antichain,
  ChangeBatch,
  compactUpdates,
  MutableAntichain,
  numberTimestamp,
  pairTimestamp,
  productTimestamp,
  sortByTime,
  type Pair,
  type Timestamp,
} from '../../src/dataflow/index.js';

/** Pairs in the product order without a `compare`: exercises the topological fallbacks. */
const pairsWithoutCompare: Timestamp<Pair<number, number>> = {
  minimum: [0, 0],
  lessEqual: pairTimestamp.lessEqual,
  key: pairTimestamp.key,
};

const pairArb = fc.tuple(fc.nat(4), fc.nat(4)).map(([a, b]) => [a, b] as const);

function minimal<T>(order: Timestamp<T>, times: T[]): string[] {
  const keys = new Set<string>();
  for (const t of times) {
    if (!times.some((u) => order.lessEqual(u, t) && order.key(u) !== order.key(t))) keys.add(String(order.key(t)));
  }
  return [...keys].sort();
}

describe('timestamps', () => {
  it('numberTimestamp is the total order with minimum 0', () => {
    expect(numberTimestamp.minimum).toBe(0);
    expect(numberTimestamp.lessEqual(1, 2)).toBe(true);
    expect(numberTimestamp.lessEqual(2, 1)).toBe(false);
    expect(numberTimestamp.totalOrder).toBe(true);
  });

  it('pairTimestamp is the product order, with lexicographic compare as a linear extension', () => {
    expect(pairTimestamp.lessEqual([0, 1], [1, 1])).toBe(true);
    expect(pairTimestamp.lessEqual([0, 2], [1, 1])).toBe(false);
    expect(pairTimestamp.lessEqual([1, 1], [0, 2])).toBe(false);
    expect(pairTimestamp.key([1, 2])).toBe(pairTimestamp.key([1, 2]));
    fc.assert(
      fc.property(pairArb, pairArb, (a, b) => {
        if (pairTimestamp.lessEqual(a, b)) expect(pairTimestamp.compare!(a, b)).toBeLessThanOrEqual(0);
        expect(pairTimestamp.compare!(a, b) === 0).toBe(pairTimestamp.key(a) === pairTimestamp.key(b));
      }),
    );
  });

  it('productTimestamp composes orders', () => {
    const nested = productTimestamp(numberTimestamp, pairTimestamp);
    expect(nested.lessEqual([0, [0, 1]], [1, [0, 1]])).toBe(true);
    expect(nested.lessEqual([0, [0, 2]], [1, [0, 1]])).toBe(false);
    expect(nested.key([1, [2, 3]])).toBe('1,2,3');
  });

  it('sortByTime without compare still puts every time after the times below it', () => {
    fc.assert(
      fc.property(fc.array(pairArb, { maxLength: 12 }), (times) => {
        const sorted = sortByTime(pairsWithoutCompare, [...times], (t) => t);
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) {
            const [a, b] = [sorted[i]!, sorted[j]!];
            expect(pairTimestamp.lessEqual(b, a) && pairTimestamp.key(a) !== pairTimestamp.key(b)).toBe(false);
          }
        }
      }),
    );
  });
});

describe('ChangeBatch', () => {
  it('sorts by time, merges equal times and drops zeros: an advance reads negative first', () => {
    const batch = new ChangeBatch(numberTimestamp);
    batch.update(1, 1);
    batch.update(0, -1);
    expect(batch.drain()).toEqual([
      [0, -1],
      [1, 1],
    ]);
    batch.extend([
      [3, 1],
      [3, -1],
      [2, 2],
      [2, 1],
      [5, 0],
    ]);
    expect(batch.peek()).toEqual([[2, 3]]);
    expect(batch.isEmpty()).toBe(false);
    batch.update(2, -3);
    expect(batch.isEmpty()).toBe(true);
    expect(batch.length).toBe(0);
  });

  it('compacts lazily on long runs of updates', () => {
    const batch = new ChangeBatch(numberTimestamp);
    for (let i = 0; i < 1000; i++) batch.update(i % 3, i % 2 === 0 ? 1 : -1);
    expect(batch.drain()).toEqual(compactUpdates(numberTimestamp, [...Array(1000).keys()].map((i) => [i % 3, i % 2 === 0 ? 1 : -1] as [number, number])));
  });

  for (const [name, order] of [
    ['pairs', pairTimestamp],
    ['pairs without compare', pairsWithoutCompare],
  ] as const) {
    it(`equals a per-time sum with zeros dropped (${name})`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(pairArb, fc.integer({ min: -2, max: 2 })), { maxLength: 80 }), (updates) => {
          const batch = new ChangeBatch(order);
          batch.extend(updates);
          const result = batch.drain();
          const sums = new Map<string, number>();
          for (const [t, d] of updates) sums.set(order.key(t) as string, (sums.get(order.key(t) as string) ?? 0) + d);
          const expected = [...sums].filter(([, d]) => d !== 0).map(([k, d]) => `${k}:${d}`).sort();
          expect(result.map(([t, d]) => `${order.key(t)}:${d}`).sort()).toEqual(expected);
          for (let i = 1; i < result.length; i++) {
            expect(pairTimestamp.lessEqual(result[i]![0], result[i - 1]![0])).toBe(false);
          }
        }),
      );
    });
  }
});

describe('Antichain', () => {
  it('keeps only minimal elements', () => {
    const a = new Antichain(pairTimestamp, [
      [1, 1],
      [0, 2],
      [2, 0],
      [3, 3],
    ]);
    expect(a.elements).toEqual([
      [1, 1],
      [0, 2],
      [2, 0],
    ]);
    expect(a.insert([0, 0])).toBe(true);
    expect(a.elements).toEqual([[0, 0]]);
    expect(a.insert([5, 5])).toBe(false);
    expect(a.lessEqual([0, 0])).toBe(true);
    expect(a.lessThan([0, 0])).toBe(false);
    expect(a.lessThan([0, 1])).toBe(true);
    expect(new Antichain(numberTimestamp).isEmpty()).toBe(true);
    expect(Antichain.minimum(numberTimestamp).dominates(new Antichain(numberTimestamp, [3]))).toBe(true);
  });
});

describe('MutableAntichain', () => {
  it('starts empty, or at the minimum with the implicit count', () => {
    expect(new MutableAntichain(numberTimestamp).isEmpty()).toBe(true);
    const m = MutableAntichain.withMinimum(numberTimestamp);
    expect(m.frontier).toEqual([0]);
    expect(m.count(0)).toBe(1);
  });

  it('applies [(0,-1),(1,+1)] atomically and reports it as the frontier change', () => {
    const m = MutableAntichain.withMinimum(numberTimestamp);
    expect(
      m.updateIter([
        [0, -1],
        [1, 1],
      ]),
    ).toEqual([
      [0, -1],
      [1, 1],
    ]);
    expect(m.frontier).toEqual([1]);
    expect(m.updateIter([])).toEqual([]);
    expect(m.update(3, 1)).toEqual([]); // behind the frontier's element 1: no change
    expect(m.update(1, -1)).toEqual([
      [1, -1],
      [3, 1],
    ]);
    expect(m.update(3, -1)).toEqual([[3, -1]]);
    expect(m.isEmpty()).toBe(true);
  });

  it('counts above one hold the frontier until every holder releases it', () => {
    const m = MutableAntichain.withMinimum(numberTimestamp, 3);
    expect(m.update(0, -1)).toEqual([]);
    expect(m.update(0, -1)).toEqual([]);
    expect(m.update(0, -1)).toEqual([[0, -1]]);
  });

  it('reports multi-element frontiers for partial orders', () => {
    const m = MutableAntichain.withMinimum(pairTimestamp);
    expect(
      m.updateIter([
        [[0, 0], -1],
        [[0, 1], 1],
        [[1, 0], 1],
      ]),
    ).toEqual([
      [[0, 0], -1],
      [[0, 1], 1],
      [[1, 0], 1],
    ]);
    expect(m.lessEqual([1, 1])).toBe(true);
    expect(m.lessEqual([0, 0])).toBe(false);
    expect(m.update([0, 1], -1)).toEqual([[[0, 1], -1]]);
    expect(m.frontier).toEqual([[1, 0]]);
  });

  for (const [name, order] of [
    ['numbers', numberTimestamp],
    ['pairs', pairTimestamp],
    ['pairs without compare', pairsWithoutCompare],
  ] as const) {
    it(`frontier = minimal positive times and changes = frontier difference (${name})`, () => {
      const timeArb = (name === 'numbers' ? fc.nat(6) : pairArb) as fc.Arbitrary<never>;
      fc.assert(
        fc.property(fc.array(fc.array(fc.tuple(timeArb, fc.integer({ min: -1, max: 2 })), { maxLength: 5 }), { maxLength: 20 }), (steps) => {
          const m = new MutableAntichain(order as Timestamp<unknown>);
          const counts = new Map<string, [unknown, number]>();
          let before: string[] = [];
          for (const step of steps) {
            const changes = m.updateIter(step);
            for (const [t, d] of step) {
              const k = String(order.key(t));
              counts.set(k, [t, (counts.get(k)?.[1] ?? 0) + d]);
            }
            const positive = [...counts.values()].filter(([, c]) => c > 0).map(([t]) => t);
            const after = minimal(order as Timestamp<unknown>, positive);
            expect(m.frontier.map((t) => String(order.key(t as never))).sort()).toEqual(after);
            const expected = [
              ...before.filter((k) => !after.includes(k)).map((k) => `${k}:-1`),
              ...after.filter((k) => !before.includes(k)).map((k) => `${k}:1`),
            ].sort();
            expect(changes.map(([t, d]) => `${order.key(t as never)}:${d}`).sort()).toEqual(expected);
            before = after;
          }
        }),
      );
    });
  }
});

describe('a timestamp written as a class (methods using `this`)', () => {
  /** Times are strings of a fixed width compared as numbers: a total order given only by methods. */
  class PaddedOrder implements Timestamp<string> {
    readonly width = 4;
    readonly minimum = '0000';
    lessEqual(a: string, b: string): boolean {
      return this.parse(a) <= this.parse(b);
    }
    key(t: string): string {
      return String(this.parse(t)).padStart(this.width, '0');
    }
    compare(a: string, b: string): number {
      return this.parse(a) - this.parse(b);
    }
    private parse(t: string): number {
      return Number.parseInt(t, 10);
    }
  }

  it('works through change batches, antichains, merge, countPerTime and validate', async () => {
    const { countPerTime, merge, messages, progress, validate, extract } = await import('../../src/dataflow/index.js');
    const { eventsOf, fromEvents } = await import('./helpers.js');
    const ts = { timestamp: new PaddedOrder() };
    expect(compactUpdates(ts.timestamp, [['0002', 1], ['0001', -1]])).toEqual([['0001', -1], ['0002', 1]]);
    const stream = fromEvents<string, string>([messages('0000', ['a']), progress([['0000', -1], ['0003', 1]]), messages('0003', ['b']), progress([['0003', -1]])]);
    const out = eventsOf(merge([stream, stream], ts).pipe(countPerTime(ts), validate({ ...ts, strict: true })));
    expect(extract(out, ts)).toEqual([['0000', [2]], ['0003', [2]]]);
  });
});
