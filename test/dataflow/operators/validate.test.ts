import { describe, it } from 'vitest';
import { messages, progress, ProgressProtocolError, validate } from '../../../src/dataflow/index.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

describe('validate', () => {
  it('errors at the violating event (marbles)', () => {
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

  it('in strict mode, names the stream and errors at a progress event that is not compacted (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const unsorted = progress<number>([[1, 1], [0, -1]]);
      const input = cold<Ev>('a-b-c|', { a: messages(0, ['x']), b: unsorted, c: end(1) });
      expectObservable(input.pipe(validate({ name: 'orders-0' }))).toBe('a-b-c|', { a: messages(0, ['x']), b: unsorted, c: end(1) });
      expectObservable(input.pipe(validate({ strict: true, name: 'orders-0' }))).toBe(
        'a-#',
        { a: messages(0, ['x']) },
        new ProgressProtocolError(
          'not-compacted',
          'stream orders-0 broke the progress protocol at event #1: progress [[1,1],[0,-1]] is not compacted (expected [[0,-1],[1,1]]) (frontier [0]); a stream must be captured fresh (not appended to a reused topic) and produced by a conforming operator',
          1,
          undefined,
        ),
      );
    });
  });
});
