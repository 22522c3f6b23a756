import { describe, expect, it } from 'vitest';
import { countPerTime, InvalidTimeError, lateOutput, LateDataError, messages, tumblingWindow, validate, type Event } from '../../../src/dataflow/index.js';
import { collectSync, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

const result = (start: number, endAt: number, value: unknown, key?: unknown): unknown => ({ window: { start, end: endAt }, key, value });

describe('tumblingWindow', () => {
  it('rejects a size that is not positive', () => {
    expect(() => tumblingWindow(0)).toThrow(InvalidTimeError);
    expect(() => tumblingWindow(Number.NaN)).toThrow(InvalidTimeError);
    expect(() => tumblingWindow(10, { allowedLateness: Number.NaN })).toThrow(InvalidTimeError);
  });

  it('assigner form (size alone): forwards data at the window start and releases windows as they close (marbles)', () => {
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

  it('assigner form: a late record reaches the per-time operator after it, whose late output takes it', () => {
    const late = lateOutput<number, string>();
    const r = collectSync(
      fromEvents<number, string>([messages(3, ['x']), adv(0, 12) as never, messages(5, ['old']), end(12) as never]).pipe(tumblingWindow(10), countPerTime({ late })),
    );
    expect(r.error).toBeUndefined();
    expect(late.count).toBe(1);
  });

  it('emits { window, key, value } once per window and key when the frontier passes the end (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c---d---e|', { a: messages(3, ['x']), b: messages(12, ['y']), c: adv(0, 10), d: adv(10, 25), e: end(25) });
      expectObservable(input.pipe(tumblingWindow(10, {}), validate({ strict: true }))).toBe('----(fg)(hi)j|', {
        f: messages(0, [result(0, 10, ['x'])]),
        g: adv(0, 10),
        h: messages(10, [result(10, 20, ['y'])]),
        i: adv(10, 20),
        j: end(20),
      } as Record<string, Ev>);
    });
  });

  it('with allowedLateness, waits for end + lateness, keeps records that far behind and diverts older ones (marbles)', () => {
    const late = lateOutput<number, number>();
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, number>>('a-b-c-d-e---f|', {
        a: messages(4, [1]),
        b: adv(0, 13), // window [0, 10) waits for 15
        c: messages(9, [2]), // 4 behind: still counts
        d: messages(7, [3]), // 6 behind: late
        e: adv(13, 15),
        f: end(15),
      });
      const op = tumblingWindow(10, { key: (n: number) => n % 2, aggregate: (sum: number, n: number) => sum + n, seed: 0, allowedLateness: 5, late });
      expectObservable(input.pipe(op, validate({ strict: true }))).toBe('--------(gh)i|', {
        g: messages(0, [result(0, 10, 1, 1), result(0, 10, 2, 0)]),
        h: adv(0, 10),
        i: end(10),
      } as Record<string, Ev>);
    });
    expect(late.count).toBe(1);
  });

  it('without a late output, late data fails the output with a LateDataError naming the operator', () => {
    const r = collectSync(fromEvents<number, number>([adv(0, 20) as never, messages(3, [1])]).pipe(tumblingWindow(10, {})));
    expect(r.error).toBeInstanceOf(LateDataError);
    expect((r.error as Error).message).toMatch(/tumblingWindow received 1 record\(s\) at time 3 after the frontier \[20\]/);
  });
});
