import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  aggregatePerTime,
  countPerTime,
  delay,
  filterData,
  mapData,
  merge,
  messages,
  probe,
  progress,
  reducePerTime,
  tumblingWindow,
  validate,
  type Event,
  ProgressProtocolError,
} from '../../src/dataflow/index.js';

type Ev = Event<number, unknown>;
const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const adv = (from: number, to: number): Ev => progress([[from, -1], [to, 1]]);
const end = (at: number): Ev => progress([[at, -1]]);

describe('operator timing (marble tests)', () => {
  it('countPerTime holds each count until the frontier passes its time', () => {
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

  it('countPerTime emits the count before the progress that releases it, in one frame', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a--b-----(c|)', { a: messages(0, [1, 2, 3]), b: adv(0, 1), c: end(1) });
      expectObservable(input.pipe(countPerTime())).toBe('---(xy)--(z|)', {
        x: messages(0, [3]),
        y: adv(0, 1),
        z: end(1),
      } as Record<string, Ev>);
    });
  });

  it('reducePerTime and aggregatePerTime fire per time as it completes', () => {
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
      expectObservable(input.pipe(aggregatePerTime((x: unknown) => x, (n: number) => n + 1, 0))).toBe('--(xy)--(zw|)', {
        x: messages(0, [[1, 1], [2, 1]]),
        y: adv(0, 1),
        z: messages(1, [[5, 2], [7, 1]]),
        w: end(1),
      } as Record<string, Ev>);
    });
  });

  it('stateless operators forward data and progress in the same frame', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c|', { a: messages(0, [1, 2, 3]), b: adv(0, 4), c: end(4) });
      expectObservable(input.pipe(mapData((x: unknown) => (x as number) + 1), filterData((x: number) => x > 2))).toBe('a-b-c|', {
        a: messages(0, [3, 4]),
        b: adv(0, 4),
        c: end(4),
      } as Record<string, Ev>);
    });
  });

  it('merge releases a time only when every input has released it', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const left = cold<Ev>('a-b----c|', { a: messages(0, ['l']), b: adv(0, 2), c: end(2) });
      const right = cold<Ev>('--x-y-z|', { x: messages(1, ['r']), y: adv(0, 1), z: end(1) });
      expectObservable(merge([left, right]).pipe(validate({ strict: true }))).toBe('a-x-y-zc|', {
        a: messages(0, ['l']),
        x: messages(1, ['r']),
        y: adv(0, 1), // right released 0; left had already moved to 2
        z: adv(1, 2), // right finished: the meet is left's 2
        c: end(2),
      } as Record<string, Ev>);
    });
  });

  it('delay holds the moved data and a capability until the input passes the new time', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-(c|)', { a: messages(0, ['x']), b: adv(0, 5), c: end(5) });
      expectObservable(input.pipe(delay((t: number) => t + 5), validate({ strict: true }))).toBe('--b-(cd|)', {
        b: adv(0, 5),
        c: messages(5, ['x']),
        d: end(5),
      } as Record<string, Ev>);
    });
  });

  it('tumblingWindow forwards data at the window start and releases windows as they close', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d-e|', { a: messages(3, ['x']), b: adv(0, 7), c: messages(12, ['y']), d: adv(7, 15), e: end(15) });
      expectObservable(input.pipe(tumblingWindow(10), validate({ strict: true }))).toBe('a---c-d-e|', {
        a: messages(0, ['x']),
        c: messages(10, ['y']),
        d: adv(0, 10),
        e: end(10),
      } as Record<string, Ev>);
    });
  });

  it('probe.frontier$ follows the frontier and completes with the stream', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const p = probe();
      const input = cold<Ev>('a-b-(c|)', { a: messages(0, [1]), b: adv(0, 3), c: end(3) });
      expectObservable(input.pipe(p)).toBe('a-b-(c|)', { a: messages(0, [1]), b: adv(0, 3), c: end(3) } as Record<string, Ev>);
      expectObservable(p.frontier$).toBe('f-g-(h|)', { f: [0], g: [3], h: [] });
    });
  });

  it('validate errors at the violating event', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c|', { a: adv(0, 2), b: messages(1, ['late']), c: end(2) });
      expectObservable(input.pipe(validate())).toBe(
        'a-#',
        { a: adv(0, 2) },
        new ProgressProtocolError(
          'uncovered-data',
          'stream broke the progress protocol at event #1: messages at time 1, which was already released (frontier [2]); a stream must be captured fresh (not appended to a reused topic) and produced by a conforming operator',
          1,
          1,
        ),
      );
    });
  });
});
