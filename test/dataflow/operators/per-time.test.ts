import { describe, expect, it } from 'vitest';
import {
  InvalidTimeError,
  messages,
  pairTimestamp,
  perTime,
  progress,
  validate,
  type Batch,
  type Event,
  type Pair,
} from '../../../src/dataflow/index.js';
import { collectSync, eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

/** Gathers the records of each time into a sorted batch; `outputTime` moves them. */
const gather = <T>(outputTime?: (t: T) => T) =>
  perTime<T, number, number[], number>({
    ...(outputTime === undefined ? {} : { outputTime }),
    create: () => [],
    add: (state, batch: Batch<number>) => {
      for (let i = 0; i < batch.length; i++) state.push(batch[i] as number);
      return state;
    },
    finish: (state) => state.sort((a, b) => a - b),
  });

describe('perTime', () => {
  it('holds a capability per pending time and emits each result before the progress that releases it (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, number>>('a-b-c-----d-----(e|)', {
        a: messages(2, [5]),
        b: messages(0, [3, 1]),
        c: adv(0, 1) as Event<number, number>,
        d: adv(1, 3) as Event<number, number>,
        e: end(3) as Event<number, number>,
      });
      expectObservable(input.pipe(gather<number>(), validate({ strict: true }))).toBe('----(xy)--(zw)--(v|)', {
        x: messages(0, [1, 3]),
        y: adv(0, 1),
        z: messages(2, [5]),
        w: adv(1, 3),
        v: end(3),
      } as Record<string, Ev>);
    });
  });

  it('emits nothing for a time whose result is empty, yet releases its capability', () => {
    const dropAll = perTime<number, number, number, number>({ create: () => 0, add: (n) => n, finish: () => [] });
    const out = eventsOf(fromEvents<number, number>([messages(4, [1]), progress([[0, -1], [5, 1]]), progress([[5, -1]])]).pipe(dropAll));
    expect(out).toEqual([progress([[0, -1], [5, 1]]), progress([[5, -1]])]);
  });

  it('moves data to outputTime and refuses a time function that goes back in time', () => {
    const moved = eventsOf(fromEvents<number, number>([messages(1, [7]), messages(3, [8]), progress([[0, -1]])]).pipe(gather((t) => t + 10)));
    expect(moved).toEqual([messages(11, [7]), messages(13, [8]), progress([[0, -1]])]);
    const back = collectSync(fromEvents<number, number>([messages(3, [1]), progress([[0, -1]])]).pipe(gather((t) => t - 1)));
    expect(back.error).toBeInstanceOf(InvalidTimeError);
    expect((back.error as Error).message).toContain('moved data from 3 back to 2');
  });

  it('under a partial order, emits each incomparable time once the frontier no longer allows it', () => {
    const events: Event<Pair<number, number>, number>[] = [
      messages([0, 1], [1]),
      messages([1, 0], [2]),
      progress([[[0, 0], -1], [[0, 2], 1], [[1, 0], 1]]),
      progress([[[0, 2], -1]]),
      progress([[[1, 0], -1]]),
    ];
    const op = perTime<Pair<number, number>, number, number, number>(
      { create: () => 0, add: (n, b) => n + b.length, finish: (n) => [n] },
      { timestamp: pairTimestamp },
    );
    const out = eventsOf(fromEvents(events).pipe(op));
    // [0,1] is released by the first step (frontier {[0,2],[1,0]}); [1,0] only when its own capability goes.
    expect(out.map((e) => (e.kind === 'messages' ? `data ${JSON.stringify(e.time)}` : 'progress'))).toEqual([
      'data [0,1]',
      'progress',
      'progress',
      'data [1,0]',
      'progress',
    ]);
  });
});
