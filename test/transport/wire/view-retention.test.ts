/**
 * The ownership protocol of replayed views over the wire (read-ownership.ts): the wire client assembles
 * large Fetch responses in pooled frames and reuses a frame once it is released; the wire iterator views the
 * typed arrays in a frame (the iterator moves a response's records to an aligned offset first,
 * aligned-records.ts) and releases only frames that no event views. Where records land in a response depends
 * on its layout (the topic name's length among others), so topics with names of eight different lengths are
 * replayed. A property test keeps random events alive while replay goes on, with full collections, and checks
 * each kept event's numbers.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../../src/broker/in-process-link.js';
import { captureFrom } from '../../../src/capture/capture.js';
import { EmbeddedTransport } from '../../../src/transport/embedded/embedded-transport.js';
import { WireTransport } from '../../../src/transport/wire/wire-transport.js';
import { EventDecoder } from '../../../src/transport/event-codec.js';
import { BrokerConnection } from '../../../src/client/connection.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';
import { holdsItsNumbers, numberedEvents } from '../numbered-events.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const EVENTS = 300;
const TOPICS = Array.from({ length: 8 }, (_, i) => `wr-${'x'.repeat(i + 1)}`);

/**
 * Runs of 20 typed-array events (viewed), then 200 plain-array ones (about 500 KB, decoded by msgpackr with no
 * reference to the frame): some responses hold no view, so their frames go back to the pool and take later
 * responses while kept views stay where they are.
 */
function typed(k: number): boolean {
  return k % 220 < 20;
}

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
  const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 32 * 1024 });
  for (const topic of TOPICS) {
    await captureFrom(numberedEvents(EVENTS, typed), await transport.pusher<number, number>(topic));
  }
}, 60_000);
afterAll(async () => {
  await broker.cleanup();
});

describe('wire replay: views of pooled response frames', () => {
  it('a kept event never sees its bytes change while later responses reuse the frames', async () => {
    // Counts views and released frames without keeping a reference to either.
    let views = 0;
    const decode = EventDecoder.prototype.decode;
    // (Patched by hand: a vitest spy would keep every argument and result alive.)
    EventDecoder.prototype.decode = function (this: EventDecoder, ...args: Parameters<EventDecoder['decode']>) {
      const event = decode.apply(this, args);
      if (event.kind === 'messages' && ArrayBuffer.isView(event.data) && event.data.buffer === args[0]?.buffer) views++;
      return event;
    } as EventDecoder['decode'];
    let released = 0;
    let run = 0;
    const releaseFrame = BrokerConnection.prototype.releaseFrame;
    BrokerConnection.prototype.releaseFrame = function (this: BrokerConnection, bytes: Buffer) {
      released++;
      releaseFrame.call(this, bytes);
    };
    try {
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(fc.nat(EVENTS - 1), { minLength: 4, maxLength: 12 }), fc.integer({ min: 5, max: 60 }), async (keep, gcEvery) => {
          // Every topic twice (runs take them in turn), so both aligned and misaligned responses are covered.
          const topic = TOPICS[run++ % TOPICS.length] as string;
          // Responses of about 300 KiB: above the client's pooled-frame size, so frames are reused.
          const transport = new WireTransport({ brokers: [broker.address], fetchMaxBytes: 300 * 1024, maxQueuedBytes: 256 * 1024 });
          const iterator = transport.iterator<number, number>(topic);
          const wanted = new Set(keep);
          const kept = new Map<number, ArrayLike<number>>();
          try {
            let k = 0;
            while (k < EVENTS) {
              await iterator.whenReady();
              for (let event = iterator.next(); event !== undefined; event = iterator.next()) {
                if (event.kind !== 'messages') continue;
                if (wanted.has(k)) kept.set(k, event.data as ArrayLike<number>);
                k++;
                if (k % gcEvery === 0) {
                  gc();
                  await new Promise((resolve) => setImmediate(resolve));
                }
              }
              for (const [index, data] of kept) {
                if (!holdsItsNumbers(index, data)) throw new Error(`event ${index} of ${topic} changed under its holder after ${k} events`);
              }
            }
          } finally {
            await iterator.close();
            await transport.close();
          }
        }),
        { numRuns: 2 * TOPICS.length, endOnFailure: true }, // no shrinking: each run replays a topic
      );
      // Meaningful only if some responses were viewed, not copied.
      expect(views).toBeGreaterThan(0);
      expect(released).toBeGreaterThan(0);
    } finally {
      EventDecoder.prototype.decode = decode;
      BrokerConnection.prototype.releaseFrame = releaseFrame;
    }
  }, 180_000);
});
