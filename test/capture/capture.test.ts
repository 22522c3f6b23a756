import { describe, expect, it } from 'vitest';
import { from, Subject, throwError, concat, of } from 'rxjs';
import { capture, captureFrom } from '../../src/capture/capture.js';
import { DeliveryError, type EventPusher } from '../../src/transport/event-pusher.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { ProgressProtocolError } from '../../src/dataflow/errors.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { pairTimestamp, type Pair } from '../../src/dataflow/timestamp.js';
import { collect } from '../replay/helpers.js';
import { within } from '../until.js';

async function captured<T, D>(events: Event<T, D>[], options = {}): Promise<Event<T, D>[]> {
  const transport = new MemoryTransport();
  const pusher = await transport.pusher<T, D>('t-0');
  await collect(from(events).pipe(capture(pusher, options)));
  return [...transport.events<T, D>('t-0')];
}

describe('capture', () => {
  it('writes data, then progress as frontier changes (negative first), then a final progress emptying the frontier', async () => {
    const out = await captured([messages(0, [1, 2]), progress([[1, 1], [0, -1]]), messages(1, [3])]);
    expect(out).toEqual([messages(0, [1, 2]), progress([[0, -1], [1, 1]]), messages(1, [3]), progress([[1, -1]])]);
  });

  it('writes no progress while the frontier is unchanged, and starts with messages', async () => {
    const out = await captured([
      messages(0, ['a']),
      progress([]),
      progress([[0, 1]]), // count 2 at 0: frontier unchanged
      progress([[3, 1], [3, -1]]),
      progress([[0, -1]]), // back to 1
      messages(0, ['b']),
      progress([[0, -1]]),
    ]);
    expect(out).toEqual([messages(0, ['a']), messages(0, ['b']), progress([[0, -1]])]);
  });

  it('folds the implicit (min,+1) in when the source advanced or finished before capture ran', async () => {
    expect(await captured([progress([[5, 1], [0, -1]]), messages(5, [1])])).toEqual([
      progress([[0, -1], [5, 1]]),
      messages(5, [1]),
      progress([[5, -1]]),
    ]);
    expect(await captured([progress([[0, -1]])])).toEqual([progress([[0, -1]])]);
    expect(await captured([])).toEqual([progress([[0, -1]])]);
  });

  it('tracks partially ordered times with multi-element frontiers', async () => {
    const out = await captured<Pair<number, number>, string>(
      [progress([[[0, 0], -1], [[1, 0], 1], [[0, 1], 1]]), messages([1, 0], ['x']), progress([[[1, 0], -1]]), messages([0, 1], ['y'])],
      { timestamp: pairTimestamp },
    );
    expect(out).toEqual([
      progress([[[0, 0], -1], [[0, 1], 1], [[1, 0], 1]]),
      messages([1, 0], ['x']),
      progress([[[1, 0], -1]]),
      messages([0, 1], ['y']),
      progress([[[0, 1], -1]]),
    ]);
  });

  it('rejects data at a released time and negative counts', async () => {
    await expect(captured([progress([[0, -1], [1, 1]]), messages(0, [1])])).rejects.toThrowError(ProgressProtocolError);
    await expect(captured([progress([[0, -2]])])).rejects.toThrowError(/more often than it was held/);
  });

  it('does not complete before every event is acknowledged', async () => {
    const acks: (() => void)[] = [];
    const order: string[] = [];
    let flushed = false;
    let flushAsked!: () => void;
    const asked = new Promise<void>((resolve) => (flushAsked = resolve));
    const pusher: EventPusher<number, number> = {
      name: 'slow-0',
      push: () => {},
      flush: () => new Promise<void>((resolve) => {
        acks.push(() => { flushed = true; resolve(); });
        flushAsked();
      }),
      close() { return this.flush(); },
    };
    const done = collect(from([messages(0, [1])]).pipe(capture(pusher))).then((r) => (order.push('complete'), r));
    // Once capture waits for the acknowledgement, let every pending promise settle, then acknowledge: a capture
    // that did not wait would have completed first.
    await within(asked, 'capture to ask the pusher for its acknowledgements');
    await new Promise((r) => setImmediate(r));
    order.push('ack');
    acks.forEach((ack) => ack());
    const [result] = await done;
    expect(order).toEqual(['ack', 'complete']);
    expect(flushed).toBe(true);
    expect(result).toMatchObject({ name: 'slow-0', events: 2, messageEvents: 1, progressEvents: 1, records: 1 });
  });

  it('surfaces delivery errors (from push or flush) as errors naming topic and offset', async () => {
    const failing: EventPusher<number, number> = {
      name: 'bad-0',
      push: () => Promise.reject(new DeliveryError('bad-0', 3, 'broker gone')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    await expect(collect(from([messages(0, [1])]).pipe(capture(failing)))).rejects.toThrowError(/offset 3 of topic "bad-0"/);
    const failingFlush: EventPusher<number, number> = { ...failing, push: () => {}, close: () => Promise.reject(new DeliveryError('bad-0', 7, 'timeout')) };
    await expect(captureFrom([messages(0, [1])], failingFlush)).rejects.toThrowError(DeliveryError);
  });

  it('passes a source error through without writing a final progress', async () => {
    const transport = new MemoryTransport();
    const pusher = await transport.pusher<number, number>('e-0');
    const source = concat(of(messages(0, [1])), throwError(() => new Error('upstream broke')));
    await expect(collect(source.pipe(capture(pusher)))).rejects.toThrowError('upstream broke');
    expect(transport.events('e-0')).toEqual([messages(0, [1])]);
  });

  it('captureFrom pulls from an async iterable only as fast as the pusher accepts', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const pusher: EventPusher<number, number> = {
      name: 'bp-0',
      push: () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise<void>((r) => setTimeout(() => { inFlight--; r(); }, 1));
      },
      flush: async () => {},
      close: async () => {},
    };
    async function* source() {
      for (let t = 0; t < 20; t++) yield messages(0, [t]);
    }
    const result = await captureFrom(source(), pusher);
    expect(maxInFlight).toBe(1);
    expect(result.records).toBe(20);
  });

  it('works from a Subject pushed imperatively', async () => {
    const transport = new MemoryTransport();
    const pusher = await transport.pusher<number, string>('s-0');
    const input = new Subject<Event<number, string>>();
    const done = collect(input.pipe(capture(pusher)));
    input.next(messages(0, ['x']));
    input.next(progress([[0, -1], [2, 1]]));
    input.complete();
    await done;
    expect(transport.events('s-0')).toEqual([messages(0, ['x']), progress([[0, -1], [2, 1]]), progress([[2, -1]])]);
  });
});
