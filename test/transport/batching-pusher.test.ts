import { describe, expect, it } from 'vitest';
import { BatchRejectedError, BatchingPusher, type BatchingPusherOptions } from '../../src/transport/batching-pusher.js';
import { DeliveryError } from '../../src/transport/event-pusher.js';
import { messages, type Event } from '../../src/dataflow/event.js';

interface Send {
  batch: number[];
  first: number;
  resolve(base: bigint | number | string): void;
  reject(error: unknown): void;
}

/** Events are numbered by their time; each weighs `data.length` bytes. Sends wait until the test settles them. */
class FakePusher extends BatchingPusher<number, number, number[]> {
  readonly sends: Send[] = [];
  released = 0;
  private open: number[] = [];

  constructor(options: Partial<BatchingPusherOptions> = {}, private readonly fitsInBatch = Infinity) {
    super('fake-0', { batchBytes: 10, maxInFlight: 2, maxBufferedBytes: 40, ...options });
  }

  protected append(event: Event<number, number>): number {
    if (event.kind !== 'messages') throw new Error('messages only');
    if (this.open.length >= this.fitsInBatch) this.sealOpenBatch();
    this.open.push(event.time);
    return event.data.length;
  }

  protected seal(): number[] {
    const batch = this.open;
    this.open = [];
    return batch;
  }

  protected send(batch: number[], first: number): Promise<bigint | number | string> {
    return new Promise((resolve, reject) => this.sends.push({ batch, first, resolve, reject }));
  }

  protected override release(): Promise<void> {
    this.released++;
    return Promise.resolve();
  }

  /** Acknowledges send i at the offset it expects. */
  ack(i: number): void {
    const s = this.sends[i] as Send;
    s.resolve(BigInt(s.first));
  }
}

const event = (n: number, bytes = 1) => messages(n, new Float64Array(bytes));
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchingPusher', () => {
  it('seals a full batch at once, sends batches in pushing order with their first offsets', async () => {
    const p = new FakePusher({ maxInFlight: 10, maxBufferedBytes: 1000 });
    for (let i = 0; i < 25; i++) expect(p.push(event(i, 2))).toBeUndefined();
    // 5 events of 2 bytes fill a batch of 10: five full batches were sent before the event loop turned.
    expect(p.sends.map((s) => [s.first, s.batch])).toEqual([
      [0, [0, 1, 2, 3, 4]],
      [5, [5, 6, 7, 8, 9]],
      [10, [10, 11, 12, 13, 14]],
      [15, [15, 16, 17, 18, 19]],
      [20, [20, 21, 22, 23, 24]],
    ]);
    p.push(event(25));
    expect(p.sends.length).toBe(5); // a partial batch waits while sends are in flight
    const flushed = p.flush();
    await turn();
    expect(p.sends.length).toBe(6); // ... unless someone flushes
    expect(p.sends[5]).toMatchObject({ first: 25, batch: [25] });
    for (let i = 0; i < 6; i++) p.ack(i);
    await flushed;
    expect(p.bytesAcknowledged).toBe(51);
  });

  it('sends a partial batch on the next turn of the event loop when nothing is in flight', async () => {
    const p = new FakePusher();
    p.push(event(0));
    p.push(event(1));
    expect(p.sends.length).toBe(0);
    await turn();
    expect(p.sends.map((s) => s.batch)).toEqual([[0, 1]]);
  });

  it('seals early when the subclass says an event does not fit', async () => {
    const p = new FakePusher({ maxInFlight: 10, maxBufferedBytes: 1000 }, 3);
    for (let i = 0; i < 7; i++) p.push(event(i));
    expect(p.sends.map((s) => [s.first, s.batch])).toEqual([
      [0, [0, 1, 2]],
      [3, [3, 4, 5]],
    ]);
    const flushed = p.flush();
    expect(p.sends[2]).toMatchObject({ first: 6, batch: [6] });
    for (let i = 0; i < 3; i++) p.ack(i);
    await flushed;
    expect(p.bytesAcknowledged).toBe(7);
  });

  it('keeps at most maxInFlight sends running and starts the next one when one is acknowledged', async () => {
    const p = new FakePusher({ maxInFlight: 2, maxBufferedBytes: 1000 });
    for (let i = 0; i < 50; i++) p.push(event(i, 2)); // 10 full batches
    await turn();
    expect(p.sends.length).toBe(2);
    p.ack(0);
    await turn();
    expect(p.sends.length).toBe(3);
    expect(p.sends[2]?.first).toBe(10);
    p.ack(2); // out of order acknowledgement still frees a slot
    await turn();
    expect(p.sends.length).toBe(4);
  });

  it('asks the caller to wait while more than maxBufferedBytes are unacknowledged, until one batch less is', async () => {
    const p = new FakePusher({ batchBytes: 10, maxInFlight: 2, maxBufferedBytes: 40 });
    const results: (void | Promise<void>)[] = [];
    for (let i = 0; i < 41; i++) results.push(p.push(event(i)));
    expect(results.slice(0, 40).every((r) => r === undefined)).toBe(true);
    const waiting = results[40] as Promise<void>;
    expect(waiting).toBeInstanceOf(Promise);
    let released = false;
    void waiting.then(() => (released = true));
    p.ack(0); // 31 buffered: still above 40 - 10
    await turn();
    expect(released).toBe(false);
    p.ack(1); // 21 buffered
    await turn();
    expect(released).toBe(true);
  });

  it('flush waits for every acknowledgement; close flushes, then releases', async () => {
    const p = new FakePusher({ maxInFlight: 1 });
    for (let i = 0; i < 15; i++) p.push(event(i));
    let done = false;
    const closed = p.close().then(() => (done = true));
    await turn();
    expect(p.sends.length).toBe(1);
    p.ack(0);
    await turn();
    expect(done).toBe(false);
    expect(p.released).toBe(0);
    expect(p.sends[1]).toMatchObject({ first: 10, batch: [10, 11, 12, 13, 14] });
    p.ack(1);
    await closed;
    expect(done).toBe(true);
    expect(p.released).toBe(1);
    await p.flush(); // nothing pending
  });

  it('a failed send rejects push, flush and close with one DeliveryError at the first event of that batch', async () => {
    const p = new FakePusher({ maxInFlight: 3, maxBufferedBytes: 1000 });
    for (let i = 0; i < 30; i++) p.push(event(i));
    await turn();
    p.ack(0);
    (p.sends[1] as Send).reject(new BatchRejectedError('NOT_LEADER_OR_FOLLOWER: moved', 6));
    p.ack(2); // a later success does not hide the failure
    const flush = p.flush();
    await expect(flush).rejects.toBeInstanceOf(DeliveryError);
    const error = (await flush.catch((e: unknown) => e)) as DeliveryError;
    expect(error.topic).toBe('fake-0');
    expect(error.offset).toBe(10);
    expect(error.code).toBe(6);
    expect(error.message).toContain('NOT_LEADER_OR_FOLLOWER: moved');
    expect(error.message).toContain('offset 10 of topic "fake-0"');
    await expect(p.push(event(30))).rejects.toBe(error);
    await expect(p.close()).rejects.toBe(error);
    expect(p.released).toBe(1);
    expect(p.sends.length).toBe(3); // nothing more was sent after the failure
  });

  it('a send that throws synchronously fails the pusher like a rejection', async () => {
    class Throwing extends FakePusher {
      protected override send(): Promise<bigint> {
        throw new Error('socket gone');
      }
    }
    const p = new Throwing();
    p.push(event(0));
    await expect(p.flush()).rejects.toMatchObject({ name: 'DeliveryError', offset: 0, code: undefined });
  });

  it('a batch stored at another base offset fails the pusher: another producer writes to the topic', async () => {
    const p = new FakePusher({ maxInFlight: 2 });
    for (let i = 0; i < 20; i++) p.push(event(i));
    await turn();
    p.ack(0);
    (p.sends[1] as Send).resolve('12'); // kafkajs reports offsets as strings
    const error = (await p.flush().catch((e: unknown) => e)) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.offset).toBe(10);
    expect(error.message).toContain('stored the batch at offset 12, not 10');
    expect(p.bytesAcknowledged).toBe(10);
  });

  it('accepts base offsets as number, bigint or string', async () => {
    const p = new FakePusher({ maxInFlight: 3, maxBufferedBytes: 1000 });
    for (let i = 0; i < 30; i++) p.push(event(i));
    await turn();
    (p.sends[0] as Send).resolve(0);
    (p.sends[1] as Send).resolve(10n);
    (p.sends[2] as Send).resolve('20');
    await p.flush();
    expect(p.bytesAcknowledged).toBe(30);
  });

  it('failUndelivered fails at the first unacknowledged event, and does nothing when all are acknowledged', async () => {
    class Dropping extends FakePusher {
      drop(): void {
        this.failUndelivered('connection closed');
      }
    }
    const idle = new Dropping();
    idle.drop();
    idle.push(event(0));
    await turn();
    idle.ack(0);
    await idle.flush();

    const p = new Dropping({ maxInFlight: 2 });
    for (let i = 0; i < 25; i++) p.push(event(i));
    await turn();
    p.ack(0);
    await turn();
    p.drop();
    await expect(p.flush()).rejects.toMatchObject({ offset: 10, message: expect.stringContaining('connection closed') });
  });
});
