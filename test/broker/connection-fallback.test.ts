/** Where Node's internals do not allow reading into our buffers, connections fall back to 'data' chunks. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('../../src/broker/onread-socket.js', () => ({ adoptWithOnread: () => null }));

const { createMetadataRequest, Metadata } = await import('../../src/protocol/messages/metadata.js');
const { createProduceRequest, Produce } = await import('../../src/protocol/messages/produce.js');
const { encodeRecordBatch } = await import('../../src/protocol/records.js');
const { kafkaClient, RawClient, readAll, startTestBroker } = await import('./helpers.js');

describe('connections without onread', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('still frame pipelined requests of every size and answer them in order', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fb', configEntries: [{ name: 'max.message.bytes', value: '1000000' }] }] });
    await admin.disconnect();
    const c = await RawClient.connect(broker);
    try {
      await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'fb', topicId: '00000000-0000-0000-0000-000000000000' }] }));
      const values = Array.from({ length: 12 }, (_, i) => String.fromCharCode(65 + i).repeat(i % 3 === 0 ? 10 : 150_000 + i));
      const frames = values.map((v, i) =>
        c.frame(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: 'fb', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(v) }] }) }] }] }), 100 + i),
      );
      c.write(Buffer.concat(frames));
      for (let i = 0; i < values.length; i++) {
        const r = RawClient.decode(Produce, 9, (await c.readFrame())!);
        expect(r.correlationId).toBe(100 + i);
        expect(r.body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
      const stored = (await readAll(broker, 'fb')).map((r) => r.value);
      expect(stored.length).toBe(values.length);
      stored.forEach((v, i) => expect(v === values[i]).toBe(true));
    } finally {
      c.close();
    }
  });
});
