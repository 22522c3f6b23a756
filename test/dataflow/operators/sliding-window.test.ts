import { describe, expect, it } from 'vitest';
import { InvalidTimeError, lateOutput, messages, slidingWindow, validate } from '../../../src/dataflow/index.js';
import { eventsOf, fromEvents } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

const result = (start: number, endAt: number, value: unknown, key?: unknown): unknown => ({ window: { start, end: endAt }, key, value });

describe('slidingWindow', () => {
  it('rejects a size or slide that is not a positive finite number', () => {
    expect(() => slidingWindow(0, 1)).toThrow(InvalidTimeError);
    expect(() => slidingWindow(10, 0)).toThrow(InvalidTimeError);
    expect(() => slidingWindow(10, Infinity)).toThrow(InvalidTimeError);
  });

  it('refuses more windows per record than maxWindowsPerRecord (default 1,000)', () => {
    expect(() => slidingWindow(1000, 1)).not.toThrow();
    expect(() => slidingWindow(1001, 1)).toThrow(/1001 windows, over maxWindowsPerRecord \(1000\)/);
    expect(() => slidingWindow(100, 10, { maxWindowsPerRecord: 9 })).toThrow(InvalidTimeError);
    expect(() => slidingWindow(3_600_000, 1, { maxWindowsPerRecord: 4_000_000 })).not.toThrow();
  });

  it('puts a record in every window holding it, emitting each window when the frontier passes its end (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b---c---|', { a: messages(7, ['x']), b: adv(0, 10), c: end(10) });
      expectObservable(input.pipe(slidingWindow(10, 5), validate({ strict: true }))).toBe('--(de)(fg)|', {
        d: messages(0, [result(0, 10, ['x'])]),
        e: adv(0, 5), // [5, 15) is still open
        f: messages(5, [result(5, 15, ['x'])]),
        g: end(5),
      } as Record<string, Ev>);
    });
  });

  it('starts windows at 0 (no window before the first time), and with slide > size skips times between windows', () => {
    const flat = (size: number, slide: number, times: number[]): unknown[] =>
      eventsOf(fromEvents<number, number>(times.map((t) => messages(t, [t]))).pipe(slidingWindow(size, slide, { late: lateOutput() }))).flatMap((e) =>
        e.kind === 'messages' ? Array.from(e.data).map((r) => [r.window.start, r.window.end, r.value]) : [],
      );
    expect(flat(10, 5, [2])).toEqual([[0, 10, [2]]]);
    expect(flat(4, 10, [2, 5, 11])).toEqual([
      [0, 4, [2]],
      [10, 14, [11]],
    ]);
  });

  it('counts with an aggregate and a seed that sees the key and the window', () => {
    const out = eventsOf(
      fromEvents<number, string>([messages(12, ['a', 'b', 'a'])]).pipe(
        slidingWindow(20, 10, { key: (w: string) => w, aggregate: (n: number) => n + 1, seed: (key: string, w) => (key === 'a' ? w.start : 0) }),
      ),
    );
    const results = out.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data) : []));
    expect(results).toEqual([result(0, 20, 2, 'a'), result(0, 20, 1, 'b'), result(10, 30, 12, 'a'), result(10, 30, 1, 'b')]);
  });
});
