import { describe, expect, it } from 'vitest';
import { mapBatch, messages } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('mapBatch', () => {
  it('sees whole batches', () => {
    const sizes: number[] = [];
    const out = eventsOf(
      fromEvents(sample).pipe(
        mapBatch((b, t) => {
          sizes.push(b.length);
          return t === 2 ? [] : [b.length];
        }),
      ),
    );
    expect(sizes).toEqual([2, 1]);
    expect(out).toEqual([messages(0, [2]), sample[1], sample[3]]);
  });

  it('emits each result at its batch time, in the same frame; an empty result emits nothing (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d-(e|)', {
        a: messages(0, [3, 1, 2]),
        b: messages(0, [-1]),
        c: adv(0, 1),
        d: messages(1, [9, 8]),
        e: end(1),
      });
      const sortedPositives = (b: ArrayLike<unknown>): Float64Array => Float64Array.from(b as ArrayLike<number>).filter((x) => x > 0).sort();
      expectObservable(input.pipe(mapBatch(sortedPositives))).toBe('a---c-d-(e|)', {
        a: messages(0, new Float64Array([1, 2, 3])),
        c: adv(0, 1),
        d: messages(1, new Float64Array([8, 9])),
        e: end(1),
      } as Record<string, Ev>);
    });
  });
});
