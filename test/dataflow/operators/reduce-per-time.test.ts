import { describe, expect, it } from 'vitest';
import { messages, reducePerTime } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('reducePerTime', () => {
  it('accepts a seed that depends on the time', () => {
    const sums = eventsOf(fromEvents(sample).pipe(reducePerTime((acc: number[], x: number) => [...acc, x], (t: number) => [t * 100])));
    expect(sums.filter((e) => e.kind === 'messages')).toEqual([messages(0, [[0, 1, 2]]), messages(2, [[200, 3]])]);
  });

  it('fires per time as it completes (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c---(d|)', {
        a: messages(0, [1, 2]),
        b: adv(0, 1),
        c: messages(1, [5, 7, 5]),
        d: end(1),
      });
      expectObservable(input.pipe(reducePerTime((s: number, x: unknown) => s + (x as number), 0))).toBe('--(xy)--(zw|)', {
        x: messages(0, [3]),
        y: adv(0, 1),
        z: messages(1, [17]),
        w: end(1),
      } as Record<string, Ev>);
    });
  });
});
