import { describe, it } from 'vitest';
import { delay, messages, validate } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('delay', () => {
  it('holds the moved data and a capability until the input passes the new time (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-(c|)', { a: messages(0, ['x']), b: adv(0, 5), c: end(5) });
      expectObservable(input.pipe(delay((t: number) => t + 5), validate({ strict: true }))).toBe('--b-(cd|)', {
        b: adv(0, 5),
        c: messages(5, ['x']),
        d: end(5),
      } as Record<string, Ev>);
    });
  });

  it('gathers every batch moved to one time into one batch, emitted when the input passes it (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d-----e|', { a: messages(1, ['x']), b: messages(3, ['y']), c: adv(0, 9), d: adv(9, 10), e: end(10) });
      const toNine = (t: number): number => (t < 10 ? 9 : t);
      expectObservable(input.pipe(delay(toNine), validate({ strict: true }))).toBe('----c-(xd)--e|', {
        c: adv(0, 9),
        x: messages(9, ['x', 'y']),
        d: adv(9, 10),
        e: end(10),
      } as Record<string, Ev>);
    });
  });
});
