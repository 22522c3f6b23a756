import { describe, expect, it } from 'vitest';
import { InvalidTimeError, lateOutput, messages, sessionWindow, validate, type Event, type LateArrival } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

const session = (start: number, endAt: number, value: unknown, key?: unknown): unknown => ({ window: { start, end: endAt }, key, value });

describe('sessionWindow', () => {
  it('rejects a gap or lateness that is not a positive (non-negative) finite number', () => {
    expect(() => sessionWindow(0)).toThrow(InvalidTimeError);
    expect(() => sessionWindow(Infinity)).toThrow(InvalidTimeError);
    expect(() => sessionWindow(5, { allowedLateness: -1 })).toThrow(InvalidTimeError);
  });

  it('closes a session once the frontier passes its last record plus the gap (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d-e----f---|', {
        a: messages(0, ['x']),
        b: messages(5, ['y']),
        c: adv(0, 12), // [0, 15) still open: the output frontier stays at its start
        d: messages(30, ['z']),
        e: adv(12, 20),
        f: end(20),
      });
      expectObservable(input.pipe(sessionWindow(10), validate({ strict: true }))).toBe('--------(gh)-(ij)|', {
        g: messages(0, [session(0, 15, ['x', 'y'])]),
        h: adv(0, 20),
        i: messages(30, [session(30, 40, ['z'])]),
        j: end(20),
      } as Record<string, Ev>);
    });
  });

  it('waits for allowedLateness, accepts records that far behind the frontier and diverts older ones (marbles)', () => {
    const late = lateOutput<number, string>();
    const seen: LateArrival<number, string>[] = [];
    late.late$.subscribe((l) => seen.push(l));
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, string>>('a-b-c-d-e-f----g|', {
        a: messages(0, ['x']),
        b: adv(0, 12),
        c: messages(8, ['y']), // 4 behind the frontier: accepted, the session becomes [0, 18)
        d: messages(3, ['w']), // 9 behind: late
        e: adv(12, 22), // 18 + 5 > 22: not yet
        f: adv(22, 23),
        g: end(23),
      });
      expectObservable(input.pipe(sessionWindow(10, { allowedLateness: 5, late }), validate({ strict: true }))).toBe('----------(hi)-j|', {
        h: messages(0, [session(0, 18, ['x', 'y'])]),
        i: adv(0, 18),
        j: end(18),
      } as Record<string, Ev>);
    });
    expect(late.count).toBe(1);
    expect(seen).toEqual([{ value: 'w', time: 3, frontier: [12], operator: 'sessionWindow' }]);
  });

  it('merges two sessions bridged by a later-arriving record, per key, folding in time order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Event<number, { user: string; n: number }>>('a-b-c-d----|', {
        a: messages(20, [{ user: 'ann', n: 1 }, { user: 'bob', n: 5 }]),
        b: messages(0, [{ user: 'ann', n: 2 }]),
        c: messages(10, [{ user: 'ann', n: 3 }]), // bridges [0, 12) and [20, 32) for ann
        d: end(0),
      });
      const op = sessionWindow(12, {
        key: (r: { user: string; n: number }) => r.user,
        aggregate: (digits: string, r: { n: number }) => digits + r.n,
        seed: '',
      });
      expectObservable(input.pipe(op, validate({ strict: true }))).toBe('------(efg)|', {
        e: messages(0, [session(0, 32, '231', 'ann')]),
        f: messages(20, [session(20, 32, '5', 'bob')]),
        g: end(0),
      } as Record<string, Ev>);
    });
  });
});
