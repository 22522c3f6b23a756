import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import {
  extract,
  joinPerTime,
  LateDataError,
  lateOutput,
  messages,
  pairTimestamp,
  progress,
  validate,
  type Event,
  type LateOutput,
  type Pair,
  type Sided,
} from '../../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents, type Collected } from '../helpers.js';
import { end, scheduler, type Ev } from './marble-helpers.js';

interface Order {
  id: number;
}
interface Payment {
  orderId: number;
  amount: number;
}

describe('joinPerTime', () => {
  it('joins records of equal keys at the same time once both inputs passed it (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const orders = cold<Event<number, Order>>('a-b---c|', { a: messages(0, [{ id: 1 }, { id: 2 }]), b: progress([[0, -1], [1, 1]]), c: progress([[1, -1]]) });
      const payments = cold<Event<number, Payment>>('--x-y---z---|', {
        x: messages(0, [{ orderId: 2, amount: 5 }, { orderId: 3, amount: 1 }]),
        y: messages(1, [{ orderId: 1, amount: 9 }]),
        z: progress([[0, -1]]),
      });
      const joined = orders.pipe(joinPerTime(payments, (o: Order) => o.id, (p: Payment) => p.orderId), validate({ strict: true }));
      // Time 0 completes only when payments releases it (frame 8); the payment at 1 finds no order at 1.
      expectObservable(joined).toBe('--------(fg)|', {
        f: messages(0, [[{ id: 2 }, { orderId: 2, amount: 5 }]]),
        g: end(0),
      } as Record<string, Ev>);
    });
  });

  it('works under a partial order: (0, 1) and (1, 0) are joined separately', () => {
    const ts = { timestamp: pairTimestamp };
    const left = fromEvents<Pair<number, number>, string>([messages([0, 1], ['a']), messages([1, 0], ['a', 'b']), progress([[[0, 0], -1]])]);
    const right = fromEvents<Pair<number, number>, string>([messages([1, 0], ['a']), messages([0, 1], ['b']), progress([[[0, 0], -1]])]);
    const out = eventsOf(left.pipe(joinPerTime(right, (x: string) => x, (y: string) => y, ts), validate({ ...ts, strict: true })));
    expect(extract(out, ts)).toEqual([[[1, 0], [['a', 'a']]]]);
  });

  it('diverts a record at a joined time, tagged with its side, or fails without a late output', () => {
    const run = (late?: LateOutput<number, Sided<number, number>>): Collected<number, readonly [number, number]> => {
      const left = new Subject<Event<number, number>>();
      const right = new Subject<Event<number, number>>();
      const result = collectSync(left.pipe(joinPerTime(right, (x: number) => x, (y: number) => y, late === undefined ? {} : { late })));
      left.next(messages(0, [1]));
      right.next(messages(0, [1, 2]));
      left.next(progress([[0, -1], [5, 1]]));
      right.next(progress([[0, -1], [5, 1]])); // time 0 is joined now
      right.next(messages(0, [1]));
      left.next(progress([[5, -1]]));
      right.next(progress([[5, -1]]));
      left.complete();
      right.complete();
      return result;
    };
    const late = lateOutput<number, Sided<number, number>>();
    const seen: unknown[] = [];
    late.late$.subscribe((l) => seen.push([l.value, l.time, l.frontier]));
    const ok = run(late);
    expect(ok.error).toBeUndefined();
    expect(extract(ok.events)).toEqual([[0, [[1, 1]]]]);
    expect(seen).toEqual([[{ side: 'right', value: 1 }, 0, [5]]]);
    expect(late.count).toBe(1);
    expect(run().error).toBeInstanceOf(LateDataError);
  });
});
