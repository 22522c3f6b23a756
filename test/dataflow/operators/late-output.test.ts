import { describe, expect, it } from 'vitest';
import { aggregatePerTime, countPerTime, LateDataError, lateOutput, messages, validate, type Event, type LateArrival } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('lateOutput and late records at per-time operators', () => {
  it('diverts a record at a completed time to late$ and counts it; the output stays valid (marbles)', () => {
    const late = lateOutput<number, string>();
    const seen: LateArrival<number, string>[] = [];
    late.late$.subscribe((l) => seen.push(l));
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, string>>('a-b-c-d|', { a: messages(0, ['x']), b: adv(0, 2), c: messages(1, ['late', 'too']), d: end(2) });
      expectObservable(input.pipe(countPerTime({ late }), validate({ strict: true }))).toBe('--(ef)g|', {
        e: messages(0, [1]),
        f: adv(0, 2),
        g: end(2),
      } as Record<string, Ev>);
    });
    expect(late.count).toBe(2);
    expect(seen.map((l) => [l.value, l.time, l.frontier, l.operator])).toEqual([
      ['late', 1, [2], 'countPerTime'],
      ['too', 1, [2], 'countPerTime'],
    ]);
  });

  it('without a late output, fails the output with a LateDataError (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b---c-d|', { a: messages(0, ['x']), b: adv(0, 2), c: messages(1, ['late']), d: end(2) });
      expectObservable(input.pipe(countPerTime())).toBe(
        '--(ef)#',
        { e: messages(0, [1]), f: adv(0, 2) } as Record<string, Ev>,
        new LateDataError('countPerTime', 1, [2], 1),
      );
    });
  });

  it('one output can serve several operators and counts late records of all of them, observed or not', () => {
    const late = lateOutput<number, string>();
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, string>>('a-b-c-d|', { a: messages(0, ['x']), b: adv(0, 5), c: messages(3, ['y']), d: end(5) });
      expectObservable(input.pipe(countPerTime({ late }))).toBe('--(ef)g|', { e: messages(0, [1]), f: adv(0, 5), g: end(5) } as Record<string, Ev>);
      expectObservable(input.pipe(aggregatePerTime((w: string) => w, (n: number) => n + 1, 0, { late }))).toBe('--(ef)g|', {
        e: messages(0, [['x', 1]]),
        f: adv(0, 5),
        g: end(5),
      } as Record<string, Ev>);
    });
    expect(late.count).toBe(2);
  });
});
