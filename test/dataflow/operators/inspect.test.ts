import { describe, expect, it } from 'vitest';
import { inspect, messages, type Update } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, sample, scheduler, type Ev } from './marble-helpers.js';

describe('inspect', () => {
  it('calls back with batches and, given an observer, with progress', () => {
    const seen: string[] = [];
    eventsOf(fromEvents(sample).pipe(inspect((b: ArrayLike<number>, t: number) => seen.push(`data ${t}:${b.length}`))));
    eventsOf(
      fromEvents(sample).pipe(
        inspect<number>({
          data: (b, t) => seen.push(`obs ${t}:${b.length}`),
          progress: (u: ReadonlyArray<Update<number>>) => seen.push(`progress ${JSON.stringify(u)}`),
        }),
      ),
    );
    expect(seen).toEqual(['data 0:2', 'data 2:1', 'obs 0:2', 'progress [[0,-1],[2,1]]', 'obs 2:1', 'progress [[2,-1]]']);
  });

  it('passes every event through unchanged, in the frame it arrived (marbles)', () => {
    let batches = 0;
    scheduler().run(({ cold, expectObservable }) => {
      const values = { a: messages(0, ['x']), b: adv(0, 1), c: messages(1, ['y', 'z']), d: end(1) } as Record<string, Ev>;
      const input = cold<Ev>('a-b--c-(d|)', values);
      expectObservable(input.pipe(inspect({ data: () => batches++ }))).toBe('a-b--c-(d|)', values);
      expectObservable(input.pipe(inspect(() => batches++))).toBe('a-b--c-(d|)', values);
    });
    expect(batches).toBe(4); // two batches, seen by each of the two subscriptions
  });
});
