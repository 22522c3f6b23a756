import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { intervalJoin, InvalidTimeError, LateDataError, lateOutput, messages, progress, validate, type Event, type Sided } from '../../../src/dataflow/index.js';
import { collectSync } from '../helpers.js';
import { scheduler, type Ev } from './marble-helpers.js';

interface Impression {
  ad: string;
}
interface Click {
  ad: string;
  user: string;
}
const keys = { left: (i: Impression) => i.ad, right: (c: Click) => c.ad };

describe('intervalJoin', () => {
  it('rejects bounds that are not finite or in the wrong order', () => {
    const right = new Subject<Event<number, Click>>();
    expect(() => intervalJoin(right, keys, 5, 1)).toThrow(InvalidTimeError);
    expect(() => intervalJoin(right, keys, 0, Infinity)).toThrow(InvalidTimeError);
  });

  it('emits a pair at max(tl, tr) as soon as its second record arrives; the frontier is the inputs\' meet (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const impressions = cold<Event<number, Impression>>('a---b-----|', { a: messages(100, [{ ad: 'x' }]), b: progress([[0, -1]]) });
      const clicks = cold<Event<number, Click>>('-c-d-e-f--|', {
        c: messages(160, [{ ad: 'x', user: 'ann' }]),
        d: messages(100, [{ ad: 'y', user: 'bob' }]),
        e: messages(700, [{ ad: 'x', user: 'cy' }]), // 600 after: outside [0, 500]
        f: progress([[0, -1]]),
      });
      expectObservable(impressions.pipe(intervalJoin(clicks, keys, 0, 500), validate({ strict: true }))).toBe('-g-----h--|', {
        g: messages(160, [[{ ad: 'x' }, { ad: 'x', user: 'ann' }]]),
        h: progress([[0, -1]]),
      } as Record<string, Ev>);
    });
  });

  it('releases a record once the frontier shows no future record can match it, and diverts late ones', () => {
    const left = new Subject<Event<number, Impression>>();
    const right = new Subject<Event<number, Click>>();
    const late = lateOutput<number, Sided<Impression, Click>>();
    const seen: unknown[] = [];
    late.late$.subscribe((l) => seen.push(l.value));
    const r = collectSync(left.pipe(intervalJoin(right, keys, -10, 10, { late })));
    left.next(messages(20, [{ ad: 'x' }]));
    left.next(progress([[0, -1], [25, 1]]));
    right.next(progress([[0, -1], [25, 1]])); // a click at ≥ 25 still matches the impression at 20 (≤ 30)
    right.next(messages(29, [{ ad: 'x', user: 'ann' }]));
    right.next(messages(24, [{ ad: 'x', user: 'bob' }])); // behind the frontier: late
    left.next(progress([[25, -1], [31, 1]]));
    right.next(progress([[25, -1], [31, 1]])); // no click at ≥ 31 can match 20 any more
    right.next(messages(31, [{ ad: 'x', user: 'cy' }]));
    left.next(progress([[31, -1]]));
    right.next(progress([[31, -1]]));
    left.complete();
    right.complete();
    expect(r.error).toBeUndefined();
    const pairs = r.events.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data).map(([, c]) => [e.time, c.user]) : []));
    expect(pairs).toEqual([[29, 'ann']]);
    expect(seen).toEqual([{ side: 'right', value: { ad: 'x', user: 'bob' } }]);
  });

  it('fails with a LateDataError without a late output', () => {
    const left = new Subject<Event<number, Impression>>();
    const right = new Subject<Event<number, Click>>();
    const r = collectSync(left.pipe(intervalJoin(right, keys, 0, 1)));
    left.next(progress([[0, -1], [5, 1]]));
    right.next(progress([[0, -1], [5, 1]]));
    left.next(messages(4, [{ ad: 'x' }]));
    expect(r.error).toBeInstanceOf(LateDataError);
  });
});
