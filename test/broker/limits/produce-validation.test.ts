/**
 * Produce validation: every batch of a partition's payload is checked (not just the first), any failure
 * refuses the whole payload and stores nothing, a refused acks=0 produce closes the connection, and the
 * broker stamps its leader epoch on every stored batch. Also ListOffsets v0's max_num_offsets.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_OFFSET, CRC_START } from '../../../src/protocol/batch-header.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { createListOffsetsRequest, ListOffsets } from '../../../src/protocol/messages/list-offsets.js';
import { createMetadataRequest, Metadata } from '../../../src/protocol/messages/metadata.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { Produce, type ProduceRequest } from '../../../src/protocol/messages/produce.js';
import { decodeRecordBatches, encodeRecordBatch, initCompression, type RecordBatchInput } from '../../../src/protocol/records.js';
import { crc32c } from '@node-rs/crc32';
import { assertServes, fetchRequest, kafkaClient, RawClient, readAll, startTestBroker, type TestBroker } from '../helpers.js';
import { createTopicWith } from './produce-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  await initCompression();
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

function batch(values: string[], extra: Partial<RecordBatchInput> = {}): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })), ...extra });
}

function reseal(b: Buffer): Buffer {
  b.writeUInt32BE(crc32c(b.subarray(CRC_START)) >>> 0, BATCH_OFFSET.crc);
  return b;
}

function produceRequest(topic: string, records: Buffer, acks = -1, partition = 0): ProduceRequest {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

const created = new Set<string>();

/** Produce does not create topics; a Metadata request that allows it does (as clients do first). */
async function ensureTopic(c: RawClient, topic: string): Promise<void> {
  if (created.has(topic)) return;
  await c.request(Metadata, 12, createMetadataRequest({ topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: topic }], allowAutoTopicCreation: true }));
  created.add(topic);
}

async function produce(c: RawClient, topic: string, records: Buffer, version = 9) {
  await ensureTopic(c, topic);
  const res = await c.request(Produce, version, produceRequest(topic, records));
  return res.responses[0]!.partitionResponses[0]!;
}

const hw = (topic: string): bigint => broker.context.topics.partition(topic, 0)?.highWatermark ?? 0n;

describe('every batch of a produce payload is checked', () => {
  let c: RawClient;
  beforeAll(async () => {
    c = await RawClient.connect(broker);
  });
  afterAll(() => c?.close());

  const cases: [string, () => Buffer, number][] = [
    ['a control batch (the attack: a fake commit marker behind a plain batch)', () => batch(['marker'], { control: true }), ErrorCode.INVALID_RECORD],
    ['a transactional batch (a producer id needs a payload of one batch)', () => batch(['t'], { transactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 0 }), ErrorCode.INVALID_RECORD],
    ['a transactional batch without a producer id', () => batch(['t'], { transactional: true }), ErrorCode.INVALID_RECORD],
    ['an idempotent batch (a producer id needs a payload of one batch)', () => batch(['i'], { producerId: 7n, producerEpoch: 0, baseSequence: 0 }), ErrorCode.INVALID_RECORD],
    ['a batch whose CRC does not match', () => { const b = batch(['crc']); b[b.length - 1]! ^= 0xff; return b; }, ErrorCode.CORRUPT_MESSAGE],
    ['a batch with magic 1', () => { const b = batch(['m']); b.writeInt8(1, BATCH_OFFSET.magic); return b; }, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT],
    ['a batch whose offset delta disagrees with its record count', () => reseal(batch(['a', 'b'], { lastOffsetDelta: 5 })), ErrorCode.INVALID_RECORD],
    ['a batch with compression codec 6', () => { const b = batch(['c']); b.writeInt16BE(6, BATCH_OFFSET.attributes); return reseal(b); }, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE],
    ['a truncated batch', () => batch(['truncated']).subarray(0, 40), ErrorCode.CORRUPT_MESSAGE],
  ];
  for (const [i, [name, bad, code]] of cases.entries()) {
    it(`${name} behind a plain batch: the whole payload is refused and nothing is stored`, async () => {
      const topic = `behind-${i}`;
      expect((await produce(c, topic, batch(['first']))).errorCode).toBe(0); // creates the topic
      const before = hw(topic);
      const r = await produce(c, topic, Buffer.concat([batch(['plain 1']), batch(['plain 2']), bad()]));
      expect(r.errorCode).toBe(code);
      expect(r.errorMessage).toBeTruthy();
      expect(hw(topic)).toBe(before);
      expect((await readAll(broker, topic)).map((x) => x.value)).toEqual(['first']);
      await assertServes(broker);
    });
  }

  it('a lone control batch is refused too, as is zstd in a Produce request older than v7', async () => {
    expect((await produce(c, 'v-lone', batch(['marker'], { control: true }))).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce(c, 'v-lone', batch(['z'], { compression: 'zstd' }), 6)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await produce(c, 'v-lone', batch(['z'], { compression: 'zstd' }), 7)).errorCode).toBe(0);
    await assertServes(broker);
  });

  it('property: a payload of mixed batches is stored whole exactly when every batch is acceptable', async () => {
    const kinds = ['plain', 'gzip', 'lz4', 'control', 'transactional', 'bad-crc', 'bad-count', 'miscounted-gzip'] as const;
    const good = new Set(['plain', 'gzip', 'lz4']);
    const make = (kind: (typeof kinds)[number], n: number): Buffer => {
      const values = Array.from({ length: n }, (_, i) => `${kind}-${i}`);
      switch (kind) {
        case 'plain':
          return batch(values);
        case 'gzip':
        case 'lz4':
          return batch(values, { compression: kind });
        case 'control':
          return batch(values, { control: true });
        case 'transactional':
          return batch(values, { transactional: true });
        case 'bad-crc': {
          const b = batch(values);
          b[b.length - 1]! ^= 1;
          return b;
        }
        case 'bad-count':
          return reseal(batch(values, { lastOffsetDelta: n }));
        case 'miscounted-gzip': {
          // The header declares one record more than the compressed records hold (span and count agree).
          const b = batch(values, { compression: 'gzip', lastOffsetDelta: n });
          b.writeInt32BE(n + 1, BATCH_OFFSET.recordCount);
          return reseal(b);
        }
      }
    };
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ kind: fc.constantFrom(...kinds), n: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 5 }), async (parts) => {
        const topic = `prop-${round++}`;
        const r = await produce(c, topic, Buffer.concat(parts.map((p) => make(p.kind, p.n))));
        const ok = parts.every((p) => good.has(p.kind));
        expect(r.errorCode === 0).toBe(ok);
        const stored = (await readAll(broker, topic)).length;
        expect(stored).toBe(ok ? parts.reduce((s, p) => s + p.n, 0) : 0);
      }),
      { numRuns: 40 },
    );
  });
});

describe('order and pipelining', () => {
  it('pipelined requests mixing compressed (checked off the loop) and plain batches land in request order', async () => {
    const c = await RawClient.connect(broker);
    await produce(c, 'order', batch(['create']));
    const miscounted = batch(['x', 'y'], { compression: 'gzip' });
    miscounted.writeInt32BE(3, BATCH_OFFSET.recordCount);
    miscounted.writeInt32BE(2, BATCH_OFFSET.lastOffsetDelta);
    reseal(miscounted);
    const payloads = [
      batch(Array.from({ length: 2000 }, (_, i) => `big-${i}`), { compression: 'gzip' }),
      batch(['plain-1']),
      miscounted,
      batch(['lz4-1', 'lz4-2'], { compression: 'lz4' }),
      batch(['plain-2']),
    ];
    for (const p of payloads) c.write(c.frame(Produce, 9, produceRequest('order', p)));
    const results = [];
    for (let i = 0; i < payloads.length; i++) results.push(RawClient.decode(Produce, 9, (await c.readFrame())!).body.responses[0]!.partitionResponses[0]!);
    expect(results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_RECORD, 0, 0]);
    expect(results.map((r) => r.baseOffset)).toEqual([1n, 2001n, -1n, 2002n, 2004n]);
    const values = (await readAll(broker, 'order')).map((r) => r.value);
    expect(values.slice(2000)).toEqual(['big-1999', 'plain-1', 'lz4-1', 'lz4-2', 'plain-2']);
    c.close();
    await assertServes(broker);
  });
});

describe('acks=0', () => {
  it('a refused produce with acks=0 closes the connection; an accepted one keeps it open', async () => {
    const ok = await RawClient.connect(broker);
    await ensureTopic(ok, 'acks0');
    ok.write(ok.frame(Produce, 9, produceRequest('acks0', batch(['fine']), 0)));
    const meta = await ok.request(Metadata, 12, createMetadataRequest({ topics: null }));
    expect(meta.topics.map((t) => t.name)).toContain('acks0');
    expect(ok.closed).toBe(false);
    ok.close();

    const bad = await RawClient.connect(broker);
    bad.write(bad.frame(Produce, 9, produceRequest('acks0', Buffer.concat([batch(['plain']), batch(['marker'], { control: true })]), 0)));
    const reply = await bad.readFrame(5000);
    expect(reply).toBeNull(); // closed, with no response
    expect(bad.closed).toBe(true);
    expect((await readAll(broker, 'acks0')).map((r) => r.value)).toEqual(['fine']);
    await assertServes(broker);
  });

  it('responses before the refused acks=0 produce still arrive before the close', async () => {
    const c = await RawClient.connect(broker);
    c.write(c.frame(Metadata, 12, createMetadataRequest({ topics: null })));
    c.write(c.frame(Produce, 9, produceRequest('acks0', batch(['marker'], { control: true }), 0)));
    expect(await c.readFrame(5000)).not.toBeNull();
    expect(await c.readFrame(5000)).toBeNull();
  });
});

describe('partition leader epoch', () => {
  it('is overwritten with the broker epoch (0) on append, and the stored CRC still holds', async () => {
    const c = await RawClient.connect(broker);
    expect((await produce(c, 'epoch', batch(['e1', 'e2'], { partitionLeaderEpoch: 12345, compression: 'gzip' }))).errorCode).toBe(0);
    const res = await c.request(Fetch, 11, fetchRequest('epoch', 0, 0n));
    const records = res.responses[0]!.partitions[0]!.records!;
    expect(records.readInt32BE(BATCH_OFFSET.partitionLeaderEpoch)).toBe(0);
    const [decoded] = decodeRecordBatches(records); // verifies the CRC
    expect(decoded!.records.map((r) => r.value!.toString())).toEqual(['e1', 'e2']);
    c.close();
  });
});

describe('ListOffsets v0 honours max_num_offsets', () => {
  it('latest: the log end offset, then segment base offsets newest first, cut to max_num_offsets', async () => {
    await createTopicWith(kafkaClient(broker), 'legacy', { 'segment.bytes': '1024' });
    const c = await RawClient.connect(broker);
    for (let i = 0; i < 6; i++) expect((await produce(c, 'legacy', batch([`v${i}`.padEnd(400, '.')]))).errorCode).toBe(0);
    const bases = broker.context.topics.partition('legacy', 0)!.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(2);
    const ask = async (timestamp: bigint, maxNumOffsets: number): Promise<bigint[]> => {
      const res = await c.request(ListOffsets, 0, createListOffsetsRequest({ replicaId: -1, topics: [{ name: 'legacy', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets }] }] }));
      const p = res.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      return p.oldStyleOffsets;
    };
    const all = [6n, ...[...bases].reverse().filter((b) => b !== 6n)];
    expect(await ask(-1n, 100)).toEqual(all);
    expect(await ask(-1n, 2)).toEqual(all.slice(0, 2));
    expect(await ask(-1n, 1)).toEqual([6n]);
    expect(await ask(-1n, 0)).toEqual([]);
    expect(await ask(-2n, 5)).toEqual([0n]);
    expect(await ask(-2n, 0)).toEqual([]);
    c.close();
  });
});
