import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureFrom } from '../../../src/capture/capture.js';
import { TopicNotEmptyError, DeliveryError } from '../../../src/transport/event-pusher.js';
import { WireTransport } from '../../../src/transport/wire/wire-transport.js';
import { messages, progress, type Event } from '../../../src/dataflow/event.js';
import { replay } from '../../../src/replay/replay.js';
import { KafkaClient } from '../../../src/client/client.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { checkProtocol, collect, epochStream, extract } from '../../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';
import { within } from '../../until.js';

let broker: TestBroker;
let transport: WireTransport;
beforeEach(async () => {
  broker = await startTestBroker();
  transport = new WireTransport({ brokers: [broker.address], batchBytes: 64 * 1024 });
});
afterEach(async () => {
  await transport.close();
  await broker.cleanup();
});

function numbers(streamIndex: number, batches: number, epochs: number): Event<number, number>[] {
  const events: Event<number, number>[] = [];
  for (let t = 0; t < epochs; t++) {
    for (let b = 0; b < batches; b++) events.push(messages(t, Float64Array.from({ length: 1024 }, (_, i) => streamIndex * 1e6 + t * 1e4 + b * 1024 + i)));
    events.push(progress(t + 1 < epochs ? [[t, -1], [t + 1, 1]] : [[t, -1]]));
  }
  return events;
}

describe('wire transport (embedded broker over TCP)', () => {
  it('round trip of 3 streams equals the in-memory result, with frontier after all streams', async () => {
    const inputs = [0, 1, 2].map((s) => numbers(s, 20, 3));
    await Promise.all(inputs.map(async (events, s) => captureFrom(events, await transport.pusher<number, number>(`rt-${s}`))));
    const out = await collect(replay([0, 1, 2].map((s) => transport.iterator<number, number>(`rt-${s}`))));
    expect(extract(out)).toEqual(extract(inputs.flat()));
    expect(checkProtocol(out)).toEqual([[1], [2], []]);
    // Rerun from the beginning: same result.
    const again = await collect(replay([0, 1, 2].map((s) => new WireTransport({ brokers: [broker.address] }).iterator<number, number>(`rt-${s}`))));
    expect(extract(again)).toEqual(extract(out));
  });

  it('refuses a non-empty topic unless replace is given', async () => {
    await captureFrom(epochStream(2, () => [1]), await transport.pusher<number, number>('dirty-0'));
    await expect(transport.pusher('dirty-0')).rejects.toThrowError(TopicNotEmptyError);
    await expect(transport.pusher('dirty-0')).rejects.toThrowError(/already holds 4 record\(s\).*replace: true/);
    await captureFrom(epochStream(1, () => [9]), await transport.pusher<number, number>('dirty-0', { replace: true }));
    const out = await collect(replay([transport.iterator<number, number>('dirty-0')]));
    expect(extract(out)).toEqual([[0, [9]]]);
  });

  it('a topic written by something else is a decode error naming topic and offset', async () => {
    const client = new KafkaClient({ brokers: [broker.address] });
    await client.createTopic('foreign-0');
    const connection = (await client.leaderFor('foreign-0'))!;
    await connection.request(Produce, {
      transactionalId: null, acks: -1, timeoutMs: 5000,
      topicData: [{ name: 'foreign-0', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('{"not":"msgpack"') }] }) }] }],
    });
    await client.close();
    await expect(collect(replay([transport.iterator<number, number>('foreign-0')]))).rejects.toThrowError(/topic "foreign-0" partition 0 offset 0/);
  });

  it('a late topic holds the frontier until it is captured', async () => {
    await captureFrom(epochStream(1, () => [1]), await transport.pusher<number, number>('late-0'));
    const warnings: string[] = [];
    let warned!: () => void;
    const firstWarning = new Promise<void>((resolve) => (warned = resolve));
    const run = collect(replay([0, 1].map((s) => transport.iterator<number, number>(`late-${s}`)), { missingStreamWarningMs: 100, onWarning: (m) => (warnings.push(m), warned()) }));
    await within(firstWarning, 'the warning naming the missing topic late-1');
    expect(warnings.join()).toContain('"late-1"');
    await captureFrom(epochStream(1, () => [2]), await transport.pusher<number, number>('late-1'));
    expect(extract(await run)).toEqual([[0, [1, 2]]]);
  });

  it('broker stopped during capture: the capture fails naming topic and offset, it does not hang', async () => {
    const pusher = await transport.pusher<number, number>('stop-0');
    async function* slow() {
      for (let i = 0; ; i++) {
        yield messages(0, new Float64Array(1024).fill(i));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }
    const outcome = captureFrom(slow(), pusher).then(() => undefined, (error: unknown) => error);
    await new Promise((r) => setTimeout(r, 200));
    await broker.stop();
    const error = await outcome;
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toMatch(/the event at offset \d+ of topic "stop-0"/);
  });

  it('broker restarted during replay: replay resumes and the result is exact', async () => {
    const inputs = [0, 1].map((s) => numbers(s, 200, 2));
    await Promise.all(inputs.map(async (events, s) => captureFrom(events, await transport.pusher<number, number>(`rs-${s}`))));
    const reader = new WireTransport({ brokers: [broker.address], fetchMaxBytes: 64 * 1024, maxQueuedBytes: 256 * 1024 });
    let seen = 0;
    let restarted: Promise<void> | undefined;
    const out: Event<number, number>[] = [];
    await new Promise<void>((resolve, reject) => {
      replay([0, 1].map((s) => reader.iterator<number, number>(`rs-${s}`))).subscribe({
        next: (e) => {
          out.push(e);
          if (++seen === 50) restarted = broker.stop().then(() => new Promise((r) => setTimeout(r, 300))).then(() => broker.restart());
        },
        error: reject,
        complete: resolve,
      });
    });
    await restarted;
    await reader.close();
    expect(restarted).toBeDefined();
    expect(extract(out)).toEqual(extract(inputs.flat()));
    expect(checkProtocol(out)).toEqual([[1], []]);
  });
});
