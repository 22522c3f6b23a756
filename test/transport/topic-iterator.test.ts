/** TopicIterator: the base of the wire, embedded and kafkajs iterators, driven by hand. */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/dataflow/event.js';
import { TopicIterator } from '../../src/transport/topic-iterator.js';

/** Queues numbers (4 bytes each); decodes them into messages events; a negative number is not an event. */
class HandIterator extends TopicIterator<number, number, number> {
  released = 0;
  constructor(maxQueuedBytes = 1 << 20) {
    super('hand-0', maxQueuedBytes, () => 4);
  }
  protected override decode(item: number): Event<number, number> {
    if (item < 0) throw new Error(`record ${item} is not an event`);
    return { kind: 'messages', time: 0, data: [item] };
  }
  protected override async release(): Promise<void> {
    this.released++;
  }
  // The reader's side, made public for the test.
  find(): void {
    this.found();
  }
  put(...items: number[]): void {
    for (const item of items) this.enqueue(item);
    this.delivered();
  }
  failWith(error: Error): void {
    this.fail(error);
  }
  room(): Promise<void> {
    return this.waitForRoom();
  }
  get isStopped(): boolean {
    return this.stopped;
  }
}

/** Whether `promise` has settled by the time already-queued callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const data = (event: Event<number, number> | undefined): unknown => (event?.kind === 'messages' ? event.data[0] : event);

describe('TopicIterator', () => {
  it('is absent and not ended until the topic is found; finding it wakes a waiting reader', async () => {
    const it = new HandIterator();
    expect(it.present).toBe(false);
    expect(it.ended).toBe(false);
    expect(it.next()).toBeUndefined();
    const ready = it.whenReady();
    expect(await settled(ready)).toBe(false);
    it.find();
    expect(await settled(ready)).toBe(true);
    expect(it.present).toBe(true);
    expect(it.ended).toBe(false); // a Kafka topic can always grow
  });

  it('hands out what was delivered, in order, and whenReady resolves at once while something is queued', async () => {
    const it = new HandIterator();
    it.find();
    const ready = it.whenReady();
    it.put(1, 2, 3);
    expect(await settled(ready)).toBe(true);
    expect(await settled(it.whenReady())).toBe(true);
    expect([data(it.next()), data(it.next()), data(it.next())]).toEqual([1, 2, 3]);
    expect(it.next()).toBeUndefined();
    expect(await settled(it.whenReady())).toBe(false);
  });

  it('throws the reader failure only after the queued events, and keeps throwing it', async () => {
    const it = new HandIterator();
    it.put(7);
    const boom = new Error('broker gone');
    it.failWith(boom);
    it.failWith(new Error('later failure'));
    expect(await settled(it.whenReady())).toBe(true);
    expect(data(it.next())).toBe(7);
    expect(() => it.next()).toThrow(boom);
    expect(() => it.next()).toThrow(boom);
  });

  it('a record that is not an event ends the stream: nothing after it, the reader is stopped and unblocked', async () => {
    const it = new HandIterator(12); // full at three items
    it.put(1, -1, 2);
    const room = it.room();
    expect(await settled(room)).toBe(false);
    expect(data(it.next())).toBe(1);
    expect(() => it.next()).toThrow('record -1 is not an event');
    expect(() => it.next()).toThrow('record -1 is not an event'); // 2 is never handed out
    expect(it.isStopped).toBe(true);
    expect(await settled(room)).toBe(true);
  });

  it('the reader waits for room while the queue is full, until replay took half of it', async () => {
    const it = new HandIterator(16); // full at four items, room again below two
    it.put(1, 2, 3, 4);
    const room = it.room();
    expect(await settled(room)).toBe(false);
    it.next();
    it.next();
    expect(await settled(room)).toBe(false); // 8 bytes left: not below half yet
    it.next();
    expect(await settled(room)).toBe(true);
  });

  it('close stops the reader, wakes it if it waits for room, and releases once per close', async () => {
    const it = new HandIterator(8);
    it.put(1, 2);
    const room = it.room();
    expect(await settled(room)).toBe(false);
    await it.close();
    expect(it.isStopped).toBe(true);
    expect(await settled(room)).toBe(true);
    expect(it.released).toBe(1);
  });
});
