import { describe, expect, it } from 'vitest';
import { aggregatePerKey, lateOutput, messages, validate, type Event } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('aggregatePerKey', () => {
  it('counts words across times, emitting running counts per completed time (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, string>>('a-b---c-d---e|', {
        a: messages(0, ['a', 'b', 'a']),
        b: adv(0, 1),
        c: messages(1, ['a']),
        d: adv(1, 3),
        e: end(3),
      });
      expectObservable(input.pipe(aggregatePerKey((w: string) => w, (n: number) => n + 1, 0), validate({ strict: true }))).toBe('--(fg)--(hi)j|', {
        f: messages(0, [['a', 2], ['b', 1]]),
        g: adv(0, 1),
        h: messages(1, [['a', 3]]),
        i: adv(1, 3),
        j: end(3),
      } as Record<string, Ev>);
    });
  });

  it('seeds each key from a function of the key, restarts it after ttl, and diverts late records', () => {
    const late = lateOutput<number, string>();
    const out = eventsOf(
      fromEvents<number, string>([messages(0, ['ab']), adv(0, 3) as never, messages(1, ['ab']), messages(3, ['ab']), messages(9, ['ab', 'cd'])]).pipe(
        aggregatePerKey((w: string) => w, (s: string, w: string) => s + w.length, (w: string) => `${w}:`, { ttl: 6, late }),
      ),
    );
    expect(out.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data).map((r) => [e.time, ...r]) : []))).toEqual([
      [0, 'ab', 'ab:2'],
      [3, 'ab', 'ab:22'],
      [9, 'ab', 'ab:2'], // 3 + 6 ≤ 9: expired
      [9, 'cd', 'cd:2'],
    ]);
    expect(late.count).toBe(1);
  });
});
