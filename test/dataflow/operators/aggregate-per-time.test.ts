import { describe, expect, it } from 'vitest';
import { aggregatePerTime, messages } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('aggregatePerTime', () => {
  it('accepts a seed that depends on the key and the time', () => {
    const groups = eventsOf(
      fromEvents(sample).pipe(aggregatePerTime((x: number) => x % 2, (acc: string, x: number) => acc + x, (k: number, t: number) => `${k}@${t}:`)),
    );
    expect(groups.filter((e) => e.kind === 'messages')).toEqual([messages(0, [[1, '1@0:1'], [0, '0@0:2']]), messages(2, [[1, '1@2:3']])]);
  });

  it('fires per time as it completes (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c---(d|)', {
        a: messages(0, [1, 2]),
        b: adv(0, 1),
        c: messages(1, [5, 7, 5]),
        d: end(1),
      });
      expectObservable(input.pipe(aggregatePerTime((x: unknown) => x, (n: number) => n + 1, 0))).toBe('--(xy)--(zw|)', {
        x: messages(0, [[1, 1], [2, 1]]),
        y: adv(0, 1),
        z: messages(1, [[5, 2], [7, 1]]),
        w: end(1),
      } as Record<string, Ev>);
    });
  });
});
