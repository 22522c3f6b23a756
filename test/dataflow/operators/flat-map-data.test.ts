import { describe, expect, it } from 'vitest';
import { flatMapData, messages } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('flatMapData', () => {
  it('expands each record and drops batches left empty', () => {
    const out = eventsOf(fromEvents(sample).pipe(flatMapData((x: number) => (x === 3 ? [] : ['a', 'b'].map((s) => `${s}${x}`)))));
    expect(out).toEqual([messages(0, ['a1', 'b1', 'a2', 'b2']), sample[1], sample[3]]);
  });

  it('emits the expansion at the record time, in the same frame, from any iterable (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-(d|)', { a: messages(0, ['x y', 'z']), b: adv(0, 2), c: messages(2, ['']), d: end(2) });
      const words = function* (line: unknown, t: number): Iterable<string> {
        for (const w of (line as string).split(' ')) if (w !== '') yield `${w}@${t}`;
      };
      expectObservable(input.pipe(flatMapData(words))).toBe('a-b---(d|)', {
        a: messages(0, ['x@0', 'y@0', 'z@0']),
        b: adv(0, 2),
        d: end(2),
      } as Record<string, Ev>);
    });
  });
});
