import { describe, expect, it } from 'vitest';
import { filterData, mapData, messages, progress, type Event } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('filterData', () => {
  it('forwards data and progress in the same frame, after mapData too (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c|', { a: messages(0, [1, 2, 3]), b: adv(0, 4), c: end(4) });
      expectObservable(input.pipe(mapData((x: unknown) => (x as number) + 1), filterData((x: number) => x > 2))).toBe('a-b-c|', {
        a: messages(0, [3, 4]),
        b: adv(0, 4),
        c: end(4),
      } as Record<string, Ev>);
    });
  });

  it('drops a batch left empty, in the frame its input arrived (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d|', { a: messages(0, [1, 2]), b: messages(0, [3]), c: adv(0, 1), d: end(1) });
      expectObservable(input.pipe(filterData((x: unknown) => (x as number) < 3))).toBe('a---c-d|', {
        a: messages(0, [1, 2]),
        c: adv(0, 1),
        d: end(1),
      } as Record<string, Ev>);
    });
  });

  it('passes the time to the predicate and forwards a batch it keeps whole as the same event', () => {
    const whole = messages(5, [1, 2]);
    const events: Event<number, number>[] = [whole, messages(6, [1, 2]), progress([[0, -1]])];
    const out = eventsOf(fromEvents(events).pipe(filterData((x: number, t: number) => t === 5 || x === 2)));
    expect(out[0]).toBe(whole);
    expect(out[1]).toEqual(messages(6, [2]));
    expect(out[2]).toBe(events[2]);
  });
});
