/**
 * Interop with a real client's record batch code: kafkajs's own RecordBatch encoder and decoder
 * (node_modules/kafkajs/src/protocol/recordBatch). kafkajs ships gzip; for the other codecs we plug our
 * codec functions into its codec table so its batch layout and record parsing are still exercised.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, CompressionCodec } from '../../src/protocol/compression/index.js';
import { decodeRecordBatch, encodeRecordBatch, initCompression, type CompressionName } from '../../src/protocol/records.js';

const require = createRequire(import.meta.url);
type KafkajsRecordInput = { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: KafkajsRecordInput) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  firstOffset: string;
  firstTimestamp: string;
  inTransaction: boolean;
  lastOffsetDelta: number;
  producerId: string;
  records: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers: Record<string, Buffer> }[];
}>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string | number): unknown };
const { Codecs } = require('kafkajs/src/protocol/message/compression/index.js') as {
  Codecs: Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
};

beforeAll(async () => {
  await initCompression();
  for (const id of [CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd]) {
    Codecs[id] = () => ({
      compress: async (encoder) => compress(id, encoder.buffer),
      decompress: async (buf) => decompress(id, buf),
    });
  }
});

const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const recordsArb = fc.array(
  fc.record({
    key: fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }).map((a) => Buffer.from(a)), { nil: null }),
    value: fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)),
    timestampDelta: fc.integer({ min: 0, max: 1_000_000 }),
    headers: fc.dictionary(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), { maxKeys: 3 }),
  }),
  { minLength: 1, maxLength: 10 },
);

function headersArray(h: Record<string, Buffer>) {
  return Object.entries(h).map(([key, value]) => ({ key, value }));
}

describe('kafkajs interop', () => {
  it('property: batches kafkajs encodes decode with ours (CRC, header, records), every codec', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.constantFrom(...codecs), fc.boolean(), async (records, compression, transactional) => {
        const batch = await RecordBatch({
          compression: CompressionCodec[compression],
          firstOffset: Long.fromValue('17'),
          firstTimestamp: 1_700_000_000_000,
          maxTimestamp: 1_700_000_000_000 + Math.max(...records.map((r) => r.timestampDelta)),
          lastOffsetDelta: records.length - 1,
          transactional,
          producerId: Long.fromValue(5),
          producerEpoch: 1,
          firstSequence: 9,
          records: records.map((r, i) => Record({ ...r, offsetDelta: i })),
        });
        const { header, records: ours } = decodeRecordBatch(batch.buffer);
        expect(header.baseOffset).toBe(17n);
        expect(header.compression).toBe(CompressionCodec[compression]);
        expect(header.transactional).toBe(transactional);
        expect(header.producerId).toBe(5n);
        expect(header.baseSequence).toBe(9);
        expect(header.recordCount).toBe(records.length);
        ours.forEach((r, i) => {
          const want = records[i]!;
          expect(r.offsetDelta).toBe(i);
          expect(r.timestampDelta).toBe(want.timestampDelta);
          expect(r.key?.toString('hex') ?? null).toBe(want.key?.toString('hex') ?? null);
          expect(r.value?.toString('hex')).toBe(want.value.toString('hex'));
          expect(r.headers.map((h) => [h.key, h.value?.toString('hex')])).toEqual(headersArray(want.headers).map((h) => [h.key, h.value.toString('hex')]));
        });
      }),
      { numRuns: 60 },
    );
  });

  it('property: batches we encode decode with kafkajs, every codec', async () => {
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.constantFrom(...codecs), async (records, compression) => {
        const buf = encodeRecordBatch({
          baseOffset: 1000n,
          baseTimestamp: 1_700_000_000_000n,
          compression,
          records: records.map((r) => ({ ...r, headers: headersArray(r.headers) })),
        });
        const decoded = await decodeBatch(new Decoder(buf));
        expect(decoded.firstOffset).toBe('1000');
        expect(decoded.lastOffsetDelta).toBe(records.length - 1);
        decoded.records.forEach((r, i) => {
          const want = records[i]!;
          expect(r.offset).toBe(String(1000 + i));
          expect(r.timestamp).toBe(String(1_700_000_000_000 + want.timestampDelta));
          expect(r.key?.toString('hex') ?? null).toBe(want.key?.toString('hex') ?? null);
          expect(r.value?.toString('hex')).toBe(want.value.toString('hex'));
          expect(Object.keys(r.headers).sort()).toEqual(Object.keys(want.headers).sort());
        });
      }),
      { numRuns: 60 },
    );
  });

  it('kafkajs and we produce byte-identical uncompressed batches for the same input', async () => {
    const records: Omit<KafkajsRecordInput, 'offsetDelta'>[] = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestampDelta: 0, headers: { a: Buffer.from('1') } },
      { key: null, value: Buffer.alloc(8192, 7), timestampDelta: 3, headers: {} },
    ];
    const theirs = await RecordBatch({
      firstOffset: Long.fromValue(0),
      firstTimestamp: 1000,
      maxTimestamp: 1003,
      lastOffsetDelta: 1,
      partitionLeaderEpoch: 0,
      producerId: Long.fromValue(-1),
      producerEpoch: 0,
      firstSequence: 0,
      records: records.map((r, i) => Record({ ...r, offsetDelta: i })),
    });
    const ours = encodeRecordBatch({
      baseTimestamp: 1000n,
      partitionLeaderEpoch: 0,
      producerEpoch: 0,
      baseSequence: 0,
      records: records.map((r) => ({ ...r, headers: headersArray(r.headers) })),
    });
    expect(ours.toString('hex')).toBe(theirs.buffer.toString('hex'));
  });
});
