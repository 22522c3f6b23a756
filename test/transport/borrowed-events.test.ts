/**
 * Borrowed events (IteratorOptions.borrow) on the two transports that lend their read buffers. A consumer
 * that checks each event before asking for the next sees every number right, while the read buffers go back
 * and take later reads: the embedded link's blocks return to the broker over the port, the wire client's
 * response frames to its pool. Without `borrow`, the same replay hands nothing back (every read is viewed).
 * And the contract is real: an event kept past `next()` loses its bytes.
 *
 * The exact point of release (after the consumer moved past a read's last event) is LentReads' own property
 * test, and the embedded cases here catch a block released an event early (it leaves the thread at once),
 * also when reads with no view (handed back at once) come between viewed ones. Over the wire a frame is
 * reused only by a later response, so this test catches a frame released while its events are queued, not
 * one released an event early; the wire iterator shares the embedded one's bookkeeping line for line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { captureFrom } from '../../src/capture/capture.js';
import type { EventIterator } from '../../src/transport/event-iterator.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { BrokerConnection } from '../../src/client/connection.js';
import { startTestBroker, type TestBroker } from './broker-helpers.js';
import { countingPort, holdsItsNumbers, numberedEvents } from './numbered-events.js';

const EVENTS = 400;
const TOPIC = 'borrowed-0';
/** Runs of 20 typed-array events (viewed), then 40 plain-array ones (no view): reads of both kinds. */
const MIXED_TOPIC = 'borrowed-mixed-0';
function typed(k: number): boolean {
  return Math.floor(k / 20) % 3 === 0;
}
/**
 * Where records land in a Fetch response depends on its layout (the topic name's length among others), and
 * only aligned typed arrays are views: names of eight lengths give the wire test aligned responses.
 */
const WIRE_TOPICS = Array.from({ length: 8 }, (_, i) => `bw-${'x'.repeat(i + 1)}`);

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
  const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 32 * 1024 });
  const events = numberedEvents(EVENTS, () => true);
  for (const topic of [TOPIC, ...WIRE_TOPICS]) await captureFrom(events, await transport.pusher<number, number>(topic));
  await captureFrom(numberedEvents(EVENTS, typed), await transport.pusher<number, number>(MIXED_TOPIC));
}, 60_000);
afterAll(async () => {
  await broker.cleanup();
});

/**
 * Replays every event, checking each before asking for the next, and turning the event loop after each one
 * (so later reads land while an event is in hand); returns the first event's data, kept past its `next()` on
 * purpose.
 */
async function consume(iterator: EventIterator<number, number>): Promise<ArrayLike<number>> {
  let k = 0;
  let first: ArrayLike<number> | undefined;
  while (k < EVENTS) {
    await iterator.whenReady();
    for (let event = iterator.next(); event !== undefined; event = iterator.next()) {
      if (event.kind !== 'messages') continue;
      await new Promise((resolve) => setImmediate(resolve));
      if (!holdsItsNumbers(k, event.data)) throw new Error(`borrowed event ${k} did not hold its numbers while in hand`);
      first ??= event.data;
      k++;
    }
  }
  return first as ArrayLike<number>;
}

describe('borrowed events', () => {
  it('embedded over a port: every event is right when handed out, and the read blocks go back to the broker', async () => {
    const { port, recycled } = countingPort(broker.broker);
    const transport = new EmbeddedTransport({ link: port, readMaxBytes: 64 * 1024, maxQueuedBytes: 128 * 1024 });
    const iterator = transport.iterator<number, number>(TOPIC, { borrow: true });
    try {
      const first = await consume(iterator);
      // About 1.6 MB in 64 KiB reads: all but the reads still queued or in hand came back.
      expect(recycled()).toBeGreaterThan(15);
      // The first read went back to the broker's thread: the kept view lost its memory.
      expect(holdsItsNumbers(0, first)).toBe(false);
    } finally {
      await iterator.close();
    }
  });

  it('embedded, reads with and without views: the events of a read handed back at once still count', async () => {
    const { port, recycled } = countingPort(broker.broker);
    const transport = new EmbeddedTransport({ link: port, readMaxBytes: 64 * 1024, maxQueuedBytes: 128 * 1024 });
    const iterator = transport.iterator<number, number>(MIXED_TOPIC, { borrow: true });
    try {
      await consume(iterator);
      expect(recycled()).toBeGreaterThan(15);
    } finally {
      await iterator.close();
    }
  });

  it('embedded without borrow: the same replay hands no viewed block back, and a kept event stays intact', async () => {
    const { port, recycled } = countingPort(broker.broker);
    const transport = new EmbeddedTransport({ link: port, readMaxBytes: 64 * 1024, maxQueuedBytes: 128 * 1024 });
    const iterator = transport.iterator<number, number>(TOPIC);
    try {
      const first = await consume(iterator);
      expect(recycled()).toBe(0);
      expect(holdsItsNumbers(0, first)).toBe(true);
    } finally {
      await iterator.close();
    }
  });

  it('wire: every event is right while in hand, and response frames go back to the pool and take later responses', async () => {
    let released = 0;
    const releaseFrame = BrokerConnection.prototype.releaseFrame;
    BrokerConnection.prototype.releaseFrame = function (this: BrokerConnection, bytes: Buffer) {
      released++;
      releaseFrame.call(this, bytes);
    };
    let overwritten = 0;
    try {
      for (const topic of [...WIRE_TOPICS, MIXED_TOPIC]) {
        // Responses of about 300 KiB: above the client's pooled-frame size, so frames are pooled and reused.
        const transport = new WireTransport({ brokers: [broker.address], fetchMaxBytes: 300 * 1024, maxQueuedBytes: 256 * 1024 });
        const iterator = transport.iterator<number, number>(topic, { borrow: true });
        try {
          const first = await consume(iterator);
          // On an aligned topic the first event was a view, and a later response landed in its frame.
          if (!holdsItsNumbers(0, first)) overwritten++;
        } finally {
          await iterator.close();
          await transport.close();
        }
      }
    } finally {
      BrokerConnection.prototype.releaseFrame = releaseFrame;
    }
    expect(released).toBeGreaterThan(8);
    expect(overwritten).toBeGreaterThan(0);
  }, 60_000);
});
