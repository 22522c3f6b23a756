import { describe, expect, it } from 'vitest';
import { mapData, messages, progress, type Event } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('mapData', () => {
  it('passes the time to the projection and can fill a Float64Array', () => {
    const out = eventsOf(fromEvents(sample).pipe(mapData((x: number, t: number) => x * 10 + t, { output: 'float64' })));
    expect(out[0]).toEqual(messages(0, new Float64Array([10, 20])));
    expect(out[2]).toEqual(messages(2, new Float64Array([32])));
    expect(out[1]).toBe(sample[1]); // progress is forwarded as is
  });

  it('collects into a plain array by default and does not emit an empty batch', () => {
    const events: Event<number, number>[] = [messages(0, []), messages(0, [1]), progress([[0, -1]])];
    const out = eventsOf(fromEvents(events).pipe(mapData((x: number) => `${x}`)));
    expect(out).toEqual([messages(0, ['1']), progress([[0, -1]])]);
    expect(Array.isArray((out[0] as { data: unknown }).data)).toBe(true);
  });

  it('forwards data and progress in the same frame (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-(d|)', { a: messages(0, [1, 2]), b: adv(0, 3), c: messages(3, [5]), d: end(3) });
      expectObservable(input.pipe(mapData((x: unknown, t: number) => (x as number) * 2 + t))).toBe('a-b-c-(d|)', {
        a: messages(0, [2, 4]),
        b: adv(0, 3),
        c: messages(3, [13]),
        d: end(3),
      } as Record<string, Ev>);
    });
  });
});
