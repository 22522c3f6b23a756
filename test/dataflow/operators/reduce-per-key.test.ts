import { describe, expect, it } from 'vitest';
import { InvalidTimeError, lateOutput, messages, numberTimestamp, pairTimestamp, reducePerKey, validate, type Event } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

interface Bid {
  item: string;
  price: number;
}
const best = (a: Bid, b: Bid): Bid => (b.price > a.price ? b : a);

describe('reducePerKey', () => {
  it('keeps state across times and emits each touched key once the frontier passes the time (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, Bid>>('a-b-c-----d|', {
        a: messages(1, [{ item: 'lamp', price: 20 }]),
        b: messages(0, [{ item: 'lamp', price: 12 }, { item: 'desk', price: 50 }]),
        c: adv(0, 2),
        d: end(2),
      });
      expectObservable(input.pipe(reducePerKey((b: Bid) => b.item, best), validate({ strict: true }))).toBe('----(efg)-h|', {
        e: messages(0, [['lamp', { item: 'lamp', price: 12 }], ['desk', { item: 'desk', price: 50 }]]),
        f: messages(1, [['lamp', { item: 'lamp', price: 20 }]]),
        g: adv(0, 2),
        h: end(2),
      } as Record<string, Ev>);
    });
  });

  it('forgets a key after ttl in event time', () => {
    const out = eventsOf(
      fromEvents<number, Bid>([messages(0, [{ item: 'lamp', price: 30 }]), messages(4, [{ item: 'lamp', price: 10 }]), messages(10, [{ item: 'lamp', price: 5 }])]).pipe(
        reducePerKey((b: Bid) => b.item, best, { ttl: 5 }),
      ),
    );
    const prices = out.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data).map(([, b]) => [e.time, b.price]) : []));
    // At 4 the state from 0 is alive (0 + 5 > 4); at 10 the state from 4 has expired (4 + 5 ≤ 10).
    expect(prices).toEqual([
      [0, 30],
      [4, 30],
      [10, 5],
    ]);
  });

  it('refuses a partial order and a bad ttl', () => {
    expect(() => reducePerKey((b: Bid) => b.item, best, { timestamp: pairTimestamp as never })).toThrow(/totally ordered/);
    expect(() => reducePerKey((b: Bid) => b.item, best, { ttl: 0 })).toThrow(InvalidTimeError);
    expect(() => reducePerKey((b: Bid) => b.item, best, { timestamp: numberTimestamp, ttl: 5 })).not.toThrow();
    const custom = { ...numberTimestamp, name: 'seconds' };
    expect(() => reducePerKey((b: Bid) => b.item, best, { timestamp: custom, ttl: 5 })).toThrow(/pass ttl as a function/);
    const backwards = reducePerKey<Bid, string>((b) => b.item, best, { ttl: (t) => t, late: lateOutput() });
    expect(() => eventsOf(fromEvents<number, Bid>([messages(0, [{ item: 'x', price: 1 }])]).pipe(backwards))).toThrow(InvalidTimeError);
  });
});
