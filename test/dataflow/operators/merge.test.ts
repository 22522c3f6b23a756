import { describe, it } from 'vitest';
import { merge, messages, validate } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('merge', () => {
  it('releases a time only when every input has released it (marbles)', () => {
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
});
