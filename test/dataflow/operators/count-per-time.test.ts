import { describe, expect, it } from 'vitest';
import { countPerTime, messages, progress, validate, type Event } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('countPerTime', () => {
  it('holds each count until the frontier passes its time (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d-----(e|)', {
        a: messages(0, ['x', 'y']),
        b: messages(1, ['z']),
        c: messages(0, ['w']),
        d: adv(0, 2),
        e: end(2),
      });
      expectObservable(input.pipe(countPerTime(), validate({ strict: true }))).toBe('------(pqr)-(s|)', {
        p: messages(0, [3]),
        q: messages(1, [1]) as Ev,
        r: adv(0, 2),
        s: end(2),
      } as Record<string, Ev>);
    });
  });

  it('emits the count before the progress that releases it, in one frame (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a--b-----(c|)', { a: messages(0, [1, 2, 3]), b: adv(0, 1), c: end(1) });
      expectObservable(input.pipe(countPerTime())).toBe('---(xy)--(z|)', {
        x: messages(0, [3]),
        y: adv(0, 1),
        z: end(1),
      } as Record<string, Ev>);
    });
  });

  it('completes many pending times in order without rescanning them (time heap)', () => {
    const events: Event<number, number>[] = [];
    const times = 20_000;
    for (let t = times - 1; t >= 0; t--) events.push(messages(t, [t]));
    for (let f = 0; f < times; f++) events.push(progress([[f, -1], [f + 1, 1]]));
    events.push(progress([[times, -1]]));
    const out = eventsOf(fromEvents(events).pipe(countPerTime()));
    const emitted = out.filter((e) => e.kind === 'messages').map((e) => e.time);
    expect(emitted).toEqual([...Array(times).keys()]);
  });
});
