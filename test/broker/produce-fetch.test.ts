/** Produce validation errors (per partition, connection stays up) and Fetch limits, errors and long-poll. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetadataRequest, Metadata, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { BATCH_OFFSET, decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { createDeleteRecordsRequest, DeleteRecords } from '../../src/protocol/messages/delete-records.js';
import { fetchRequest, kafkaClient, produceRaw, RawClient, readAll, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ maxMessageBytes: 10_000 });
  c = await RawClient.connect(broker);
  await c.request(Metadata, 1, createMetadataRequest({ topics: ['pf', 'lp', 'lp2', 'limits'].map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })) }));
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

async function produce(topic: string, records: Buffer | null, partition = 0): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const res = await c.request(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }));
  return res.responses[0]!.partitionResponses[0]!;
}

const one = (value = 'x', extra = {}) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }], ...extra });

describe('produce errors are per partition and keep the connection', () => {
  it.each([
    ['a flipped CRC byte', () => { const b = one(); b[b.length - 1]! ^= 0xff; return b; }, 2],
    ['a truncated batch', () => one().subarray(0, 40), 2],
    ['a batch above max.message.bytes', () => one('y'.repeat(20_000)), 10],
    ['legacy magic 1', () => { const b = one(); b.writeInt8(1, BATCH_OFFSET.magic); return b; }, 43],
    ['a transactional batch outside any transaction', () => one('t', { transactional: true, producerId: 5n, producerEpoch: 0, baseSequence: 0 }), 48], // INVALID_TXN_STATE
  ] as const)('%s', async (_name, make, code) => {
    const r = await produce('pf', make());
    expect(r.errorCode).toBe(code);
    expect(r.errorMessage).toBeTruthy();
    expect((await produce('pf', one())).errorCode).toBe(0); // same connection still works
  });

  it('unknown topic or partition, invalid topic name', async () => {
    expect((await produce('does-not-exist', one())).errorCode).toBe(3);
    expect((await produce('pf', one(), 7)).errorCode).toBe(3);
    expect((await produce('bad/name', one())).errorCode).toBe(17);
  });

  it('acks other than -1/0/1 is INVALID_REQUIRED_ACKS', async () => {
    const res = await c.request(Produce, 9, createProduceRequest({ acks: 2, timeoutMs: 1000, topicData: [{ name: 'pf', partitionData: [{ index: 0, records: one() }] }] }));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(21);
  });

  it('LogAppendTime topics get the broker time in the response', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'lat', configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    await admin.disconnect();
    const before = BigInt(Date.now());
    const r = await produce('lat', one('z', { baseTimestamp: 1000 }));
    expect(r.errorCode).toBe(0);
    expect(r.logAppendTimeMs).toBeGreaterThanOrEqual(before);
  });
});

describe('large pipelined produce (pooled frame memory)', () => {
  it('stores every byte of distinct ~300 KB batches sent back to back', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', configEntries: [{ name: 'max.message.bytes', value: '1000000' }] }] });
    await admin.disconnect();
    const values = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(300_000) + i);
    const frames = values.map((v, i) =>
      c.frame(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: 'big', partitionData: [{ index: 0, records: one(v) }] }] }), 1000 + i),
    );
    c.write(Buffer.concat(frames)); // pipelined: frames arrive split across many socket reads
    for (let i = 0; i < values.length; i++) {
      const r = RawClient.decode(Produce, 9, (await c.readFrame())!);
      expect(r.body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    expect((await readAll(broker, 'big')).map((r) => r.value)).toEqual(values);
  });
});

describe('fetch', () => {
  it('returns whole batches within partition max bytes, at least one', async () => {
    for (let i = 0; i < 10; i++) await produceRaw(c, 'limits', 0, [`m${i}`.padEnd(500, '.')]);
    const small: FetchResponse = await c.request(Fetch, 11, fetchRequest('limits', 0, 0n, { maxBytes: 10 }));
    const p = small.responses[0]!.partitions[0]!;
    expect(p.highWatermark).toBe(10n);
    expect(p.records!.length).toBeGreaterThan(10); // one whole batch even though it exceeds the limit
    expect(p.records!.readInt32BE(BATCH_OFFSET.batchLength) + 12).toBe(p.records!.length);
    const batchSize = p.records!.length;
    const three: FetchResponse = await c.request(Fetch, 11, fetchRequest('limits', 0, 0n, { maxBytes: batchSize * 3 + 5 }));
    expect(three.responses[0]!.partitions[0]!.records!.length).toBe(batchSize * 3);
  });

  it('a consumer catching up reads everything in order (read-ahead), and read-ahead never outlives DeleteRecords', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'catchup', configEntries: [{ name: 'max.message.bytes', value: '1000000' }] }] });
    await admin.disconnect();
    const values = Array.from({ length: 12 }, (_, i) => String(i).repeat(300_000));
    for (const v of values) expect((await produce('catchup', one(v))).errorCode).toBe(0);
    const got: string[] = [];
    let offset = 0n;
    while (offset < 12n) {
      const res: FetchResponse = await c.request(Fetch, 11, fetchRequest('catchup', 0, offset, { maxBytes: 700_000 }));
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      for (const b of decodeRecordBatches(p.records!)) {
        got.push(b.records[0]!.value!.toString());
        offset = b.header.baseOffset + 1n;
      }
    }
    expect(got).toEqual(values);
    // A read-ahead is pending for offset 12? No: the log ends there. Make one, then delete under it.
    for (const v of values.slice(0, 4)) await produce('catchup', one(v));
    const first: FetchResponse = await c.request(Fetch, 11, fetchRequest('catchup', 0, 12n, { maxBytes: 700_000 }));
    const next = decodeRecordBatches(first.responses[0]!.partitions[0]!.records!).at(-1)!.header.baseOffset + 1n;
    await c.request(DeleteRecords, 2, createDeleteRecordsRequest({ topics: [{ name: 'catchup', partitions: [{ partitionIndex: 0, offset: 15n }] }], timeoutMs: 1000 }));
    const after: FetchResponse = await c.request(Fetch, 11, fetchRequest('catchup', 0, next, { maxBytes: 700_000 }));
    expect(next).toBeLessThan(15n);
    expect(after.responses[0]!.partitions[0]).toMatchObject({ errorCode: 1, logStartOffset: 15n });
  });

  it('OFFSET_OUT_OF_RANGE past the end, empty at the end, unknown topic id', async () => {
    await produceRaw(c, 'pf', 0, ['a']);
    const past: FetchResponse = await c.request(Fetch, 11, fetchRequest('pf', 0, 1000n));
    expect(past.responses[0]!.partitions[0]).toMatchObject({ errorCode: 1, logStartOffset: 0n });
    const meta: MetadataResponse = await c.request(Metadata, 12, createMetadataRequest({ topics: null }));
    const hw = (await c.request(Fetch, 11, fetchRequest('pf', 0, 0n))).responses[0]!.partitions[0]!.highWatermark;
    const atEnd: FetchResponse = await c.request(Fetch, 11, fetchRequest('pf', 0, hw));
    expect(atEnd.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: hw, lastStableOffset: hw });
    expect(atEnd.responses[0]!.partitions[0]!.records!.length).toBe(0);
    expect(meta.topics.length).toBeGreaterThan(0);
    const unknownId: FetchResponse = await c.request(Fetch, 13, fetchRequest('', 0, 0n, {}, '11111111-2222-3333-4444-555555555555'));
    expect(unknownId.responses[0]!.partitions[0]!.errorCode).toBe(100);
  });

  it('long-poll: a parked fetch wakes on produce, well before max_wait_ms', async () => {
    const f = await RawClient.connect(broker);
    const hw = (await f.request(Fetch, 11, fetchRequest('lp', 0, 0n))).responses[0]!.partitions[0]!.highWatermark;
    const started = Date.now();
    const pending = f.request(Fetch, 11, fetchRequest('lp', 0, hw, { maxWaitMs: 30_000, minBytes: 1 }));
    await new Promise((r) => setTimeout(r, 100));
    await produceRaw(c, 'lp', 0, ['wake up']);
    const res: FetchResponse = await pending;
    const elapsed = Date.now() - started;
    expect(res.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(10_000); // woken by the produce, not by max_wait_ms (a loaded machine is slow, not 3x)
    f.close();
  });

  it('long-poll: returns empty after max_wait_ms when nothing arrives, and keeps waiting for min_bytes', async () => {
    const f = await RawClient.connect(broker);
    let started = Date.now();
    const res: FetchResponse = await f.request(Fetch, 11, fetchRequest('lp2', 0, 0n, { maxWaitMs: 300, minBytes: 1 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.responses[0]!.partitions[0]!.records!.length).toBe(0);
    started = Date.now();
    const pending = f.request(Fetch, 11, fetchRequest('lp2', 0, 0n, { maxWaitMs: 30_000, minBytes: 2000 }));
    await produceRaw(c, 'lp2', 0, ['small']); // below min_bytes: keeps waiting
    await new Promise((r) => setTimeout(r, 200));
    await produceRaw(c, 'lp2', 0, ['big'.padEnd(3000, '!')]);
    const res2: FetchResponse = await pending;
    expect(res2.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(2000);
    expect(Date.now() - started).toBeLessThan(10_000); // answered at min_bytes, not at max_wait_ms
    f.close();
  });

  it('closing the broker releases parked fetches promptly', async () => {
    const b = await startTestBroker();
    const f = await RawClient.connect(b);
    await f.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'x', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const pending = f.request(Fetch, 11, fetchRequest('x', 0, 0n, { maxWaitMs: 30_000, minBytes: 1 }));
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await b.stop();
    await pending;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
