import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eventOperator, messages, progress, type Event } from '../../../src/dataflow/index.js';
import { collectSync } from '../helpers.js';
import { adv, end, scheduler, type Ev } from './marble-helpers.js';

/** A synchronous source of `n` one-record batches at time 0 that counts what it managed to emit. */
function countingSource(n: number): { stream: Observable<Event<number, number>>; emitted: () => number } {
  let emitted = 0;
  const stream = new Observable<Event<number, number>>((s) => {
    for (let i = 0; i < n && !s.closed; i++) {
      emitted++;
      s.next(messages(0, [i]));
    }
    s.next(progress([[0, -1]]));
    s.complete();
  });
  return { stream, emitted: () => emitted };
}

describe('eventOperator', () => {
  it('turns a throw in next into the output error and stops a synchronous source mid-loop', () => {
    const { stream, emitted } = countingSource(1000);
    let finalized = 0;
    const op = eventOperator<number, number, number, number>((out) => ({
      next(event) {
        if (event.kind === 'messages' && event.data[0] === 3) throw new Error('boom at 3');
        out.next(event);
      },
      finalize: () => finalized++,
    }));
    const r = collectSync(stream.pipe(op));
    expect((r.error as Error).message).toBe('boom at 3');
    expect(r.events).toHaveLength(3);
    expect(emitted()).toBe(4);
    expect(finalized).toBe(1);
  });

  it('calls complete before the output completes, and a throw there becomes the output error', () => {
    const order: string[] = [];
    const flushing = eventOperator<number, number, number, number>((out) => ({
      next: (event) => out.next(event),
      complete() {
        order.push('handler complete');
        out.next(messages(0, [42]));
      },
    }));
    const ok = collectSync(countingSource(1).stream.pipe(flushing));
    expect(ok.completed).toBe(true);
    expect(ok.events.at(-1)).toEqual(messages(0, [42]));
    expect(order).toEqual(['handler complete']);

    const failing = eventOperator<number, number, number, number>((out) => ({
      next: (event) => out.next(event),
      complete() {
        throw new Error('flush failed');
      },
    }));
    const bad = collectSync(countingSource(1).stream.pipe(failing));
    expect(bad.completed).toBe(false);
    expect((bad.error as Error).message).toBe('flush failed');
  });

  it('calls finalize once on unsubscribe and passes upstream errors through (marbles)', () => {
    let finalized = 0;
    const passThrough = eventOperator<number, unknown, number, unknown>((out) => ({ next: (e) => out.next(e), finalize: () => finalized++ }));
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold<Ev>('a-b-c-d|', { a: messages(0, ['x']), b: adv(0, 1), c: messages(1, ['y']), d: end(1) });
      expectObservable(input.pipe(passThrough), '^--!').toBe('a-b-', { a: messages(0, ['x']), b: adv(0, 1) } as Record<string, Ev>);
      const failing = cold<Ev>('a-#', { a: messages(0, ['x']) }, new Error('upstream'));
      expectObservable(failing.pipe(passThrough)).toBe('a-#', { a: messages(0, ['x']) } as Record<string, Ev>, new Error('upstream'));
    });
    expect(finalized).toBe(2);
  });
});
