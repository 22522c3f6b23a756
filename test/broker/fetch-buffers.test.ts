/** Pooled Fetch read memory: reused only after the response carrying it was written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { createMetadataRequest, Metadata } from '../../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce } from '../../src/protocol/messages/produce.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { fetchRequest, kafkaClient, RawClient, startTestBroker, type TestBroker } from './helpers.js';

describe('pipelined fetches over pooled read memory', () => {
  let broker: TestBroker;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startTestBroker();
    c = await RawClient.connect(broker);
  });
  afterAll(async () => {
    c?.close();
    await broker?.stop();
  });

  it('every queued response keeps its own bytes while later fetches read into reused buffers', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'pooled', configEntries: [{ name: 'max.message.bytes', value: '1000000' }] }] });
    await admin.disconnect();
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'pooled', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const values = Array.from({ length: 24 }, (_, i) => String.fromCharCode(97 + i).repeat(200_000 + i));
    for (const v of values) {
      const res = await c.request(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: 'pooled', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from(v) }] }) }] }] }));
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    // Rounds of pipelined fetches that the client reads only after a pause, so responses queue up in the
    // broker's socket while other fetches read into pooled buffers.
    for (let round = 0; round < 3; round++) {
      const frames = values.map((_, i) => c.frame(Fetch, 11, fetchRequest('pooled', 0, BigInt(i), { maxBytes: 450_000 }), 5000 + round * 100 + i));
      c.write(Buffer.concat(frames));
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < values.length; i++) {
        const { correlationId, body } = RawClient.decode(Fetch, 11, (await c.readFrame())!) as { correlationId: number; body: FetchResponse };
        expect(correlationId).toBe(5000 + round * 100 + i);
        const p = body.responses[0]!.partitions[0]!;
        expect(p.errorCode).toBe(0);
        const batches = decodeRecordBatches(p.records!);
        expect(batches[0]!.header.baseOffset).toBe(BigInt(i));
        batches.forEach((b, k) => expect(b.records[0]!.value!.toString() === values[i + k]).toBe(true));
      }
    }
  });
});
