import { describe, expect, it } from 'vitest';
import { InvalidTimeError, messages, tumblingWindow, validate } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('tumblingWindow', () => {
  it('rejects a size that is not positive', () => {
    expect(() => tumblingWindow(0)).toThrow(InvalidTimeError);
    expect(() => tumblingWindow(Number.NaN)).toThrow(InvalidTimeError);
  });

  it('forwards data at the window start and releases windows as they close (marbles)', () => {
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
});
