import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureFrom } from '../../../src/capture/capture.js';
import { EventDecodeError } from '../../../src/transport/event-codec.js';
import { DeliveryError, TopicNotEmptyError } from '../../../src/transport/event-pusher.js';
import { KafkaJsTransport } from '../../../src/transport/kafkajs/kafkajs-transport.js';
import { nativeCrc32CCalls } from '../../../src/transport/kafkajs/kafkajs-native-crc.js';
import { WireTransport } from '../../../src/transport/wire/wire-transport.js';
import { messages, progress, type Event } from '../../../src/dataflow/event.js';
import { replay } from '../../../src/replay/replay.js';
import { checkProtocol, collect, epochStream, extract } from '../../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';

let broker: TestBroker;
let transport: KafkaJsTransport;
beforeEach(async () => {
  broker = await startTestBroker();
  transport = new KafkaJsTransport({ brokers: [broker.address], batchBytes: 64 * 1024 });
});
afterEach(async () => {
  await transport.close();
  await broker.cleanup();
});

const numbers = (s: number): Event<number, number>[] => [
  ...Array.from({ length: 30 }, (_, b) => messages(0, BigUint64Array.from({ length: 1024 }, (_, i) => BigInt(s * 1e6 + b * 1024 + i)) as unknown as ArrayLike<number>)),
  progress([[0, -1], [1, 1]]),
  messages(1, [s]),
  progress([[1, -1]]),
];

describe('kafkajs transport (embedded broker)', () => {
  it('round trip of 2 streams equals the input; the wire transport reads the same topics', async () => {
    const inputs = [0, 1].map(numbers);
    await Promise.all(inputs.map(async (events, s) => captureFrom(events, await transport.pusher<number, number>(`kj-${s}`))));
    const out = await collect(replay([0, 1].map((s) => transport.iterator<number, number>(`kj-${s}`))));
    expect(out.filter((e) => e.kind === 'messages').reduce((n, e) => n + (e.kind === 'messages' ? e.data.length : 0), 0)).toBe(2 * (30 * 1024 + 1));
    expect(checkProtocol(out)).toEqual([[1], []]);
    // Batches kafkajs checksummed with the native CRC32C, and the wire client verifies every CRC it reads.
    expect(transport.kafkaJsPatches).toEqual({ nativeCrc32c: true, encoderGrowth: true });
    expect(nativeCrc32CCalls()).toBeGreaterThan(0);
    const wire = new WireTransport({ brokers: [broker.address], checkCrcs: true });
    const viaWire = await collect(replay([0, 1].map((s) => wire.iterator<number, number>(`kj-${s}`))));
    await wire.close();
    expect(extract(viaWire as never)).toEqual(extract(out as never));
  });

  it('replays the events before a record that is not an event, then fails naming its offset', async () => {
    const pusher = await transport.pusher<number, number>('kx-0');
    pusher.push(messages(0, new Float64Array([1, 2, 3])));
    pusher.push(messages(0, [4]));
    await pusher.close();
    const producer = transport.kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kx-0', messages: [{ value: Buffer.from('not an event') }, { value: Buffer.from('neither') }] });
    await producer.disconnect();
    const iterator = transport.iterator<number, number>('kx-0');
    const seen: Event<number, number>[] = [];
    let failure: unknown;
    for (;;) {
      try {
        const event = iterator.next();
        if (event === undefined) await iterator.whenReady();
        else seen.push(event);
      } catch (error) {
        failure = error;
        break;
      }
    }
    await iterator.close();
    expect(seen.map((e) => (e.kind === 'messages' ? Array.from(e.data) : e))).toEqual([[1, 2, 3], [4]]);
    expect(failure).toBeInstanceOf(EventDecodeError);
    expect((failure as EventDecodeError).offset).toBe(2n);
    expect(() => iterator.next()).toThrow(failure as Error);
  });

  it('several sends in flight keep the events in order (kafkajs alone reorders them)', async () => {
    const inFlight = new KafkaJsTransport({ brokers: [broker.address], batchBytes: 16 * 1024, maxInFlight: 4 });
    try {
      const events = Array.from({ length: 300 }, (_, i) => messages(0, Float64Array.from({ length: 512 }, (_, j) => i * 512 + j)));
      const pusher = await inFlight.pusher<number, number>('ko-0');
      for (const event of events) await pusher.push(event); // 4 KiB each: 4 per send, about 75 sends
      pusher.push(progress([[0, -1]]));
      await pusher.close();
      const iterator = inFlight.iterator<number, number>('ko-0');
      const out: number[] = [];
      for (;;) {
        const event = iterator.next();
        if (event === undefined) await iterator.whenReady();
        else if (event.kind === 'messages') out.push(...Array.from(event.data));
        else break;
      }
      await iterator.close();
      expect(out).toEqual(Array.from({ length: 300 * 512 }, (_, i) => i));
    } finally {
      await inFlight.close();
    }
  });

  it('refuses a non-empty topic unless replace is given', async () => {
    await captureFrom(epochStream(1, () => [1]), await transport.pusher<number, number>('kd-0'));
    await expect(transport.pusher('kd-0')).rejects.toThrowError(TopicNotEmptyError);
    await captureFrom(epochStream(2, () => [5]), await transport.pusher<number, number>('kd-0', { replace: true }));
    expect(extract(await collect(replay([transport.iterator<number, number>('kd-0')])))).toEqual([[0, [5]], [1, [5]]]);
  });

  it('broker stopped during capture is a DeliveryError, not a hang', async () => {
    const pusher = await transport.pusher<number, number>('ks-0');
    async function* slow() {
      for (let i = 0; ; i++) {
        yield messages(0, new Float64Array(1024));
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }
    const outcome = captureFrom(slow(), pusher).then(() => undefined, (error: unknown) => error);
    await new Promise((r) => setTimeout(r, 300));
    await broker.stop();
    const error = await outcome;
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toMatch(/topic "ks-0"/);
  });
});
