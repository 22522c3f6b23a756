import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BATCH_HEADER_SIZE,
  BATCH_OFFSET,
  CompressionCodec,
  RecordBatchError,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatchChunks,
  initCompression,
  recordOffset,
  recordTimestamp,
  validateBatch,
  writeBatchCrc,
  type CompressionName,
  type DecodedRecord,
  type RecordBatchInput,
  type RecordInput,
} from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

beforeAll(async () => {
  await initCompression();
});

const bytes = (max = 64) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const nullableBytes = (max = 64) => fc.option(bytes(max), { nil: null });

const recordArb: fc.Arbitrary<Omit<RecordInput, 'offsetDelta'> & { gap: number }> = fc.record({
  gap: fc.integer({ min: 1, max: 1000 }),
  timestampDelta: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.maxSafeInteger()),
  key: nullableBytes(),
  value: nullableBytes(300),
  headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 12 }), value: nullableBytes(16) }), { maxLength: 4 }),
});

/** Random records with increasing (sometimes sparse) offset deltas. */
const recordsArb = fc.array(recordArb, { maxLength: 20 }).map((rs) => {
  let offset = -1;
  return rs.map(({ gap, ...r }) => ({ ...r, offsetDelta: (offset += gap) }));
});

const batchArb = fc.record({
  baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  baseTimestamp: fc.bigInt({ min: -1n, max: 2n ** 45n }),
  producerId: fc.bigInt({ min: -1n, max: 2n ** 62n }),
  producerEpoch: fc.integer({ min: -1, max: 32767 }),
  baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
  control: fc.boolean(),
  timestampType: fc.constantFrom('create' as const, 'log-append' as const),
  compression: fc.constantFrom(...codecs),
  snappyFraming: fc.constantFrom('raw' as const, 'xerial' as const),
  records: recordsArb,
});

function plain(r: DecodedRecord | RecordInput) {
  return {
    offsetDelta: r.offsetDelta,
    timestampDelta: r.timestampDelta ?? 0,
    key: r.key?.toString('hex') ?? null,
    value: r.value?.toString('hex') ?? null,
    headers: (r.headers ?? []).map((h) => ({ key: h.key, value: h.value?.toString('hex') ?? null })),
  };
}

function expectRoundTrip(input: RecordBatchInput & { records: RecordInput[] }, buf: Buffer): void {
  const { header, records } = decodeRecordBatch(buf);
  expect(header.magic).toBe(2);
  expect(header.sizeInBytes).toBe(buf.length);
  expect(header.baseOffset).toBe(BigInt(input.baseOffset ?? 0n));
  expect(header.partitionLeaderEpoch).toBe(input.partitionLeaderEpoch ?? -1);
  expect(header.compression).toBe(CompressionCodec[(input.compression ?? 'none') as CompressionName]);
  expect(header.transactional).toBe(input.transactional ?? false);
  expect(header.control).toBe(input.control ?? false);
  expect(header.timestampType).toBe(input.timestampType === 'log-append' ? 1 : 0);
  expect(header.producerId).toBe(BigInt(input.producerId ?? -1n));
  expect(header.producerEpoch).toBe(input.producerEpoch ?? -1);
  expect(header.baseSequence).toBe(input.baseSequence ?? -1);
  expect(header.recordCount).toBe(input.records.length);
  const last = input.records.at(-1);
  expect(header.lastOffsetDelta).toBe(last?.offsetDelta ?? 0);
  const maxDelta = input.records.reduce((m, r, i) => (i === 0 || (r.timestampDelta ?? 0) > m ? (r.timestampDelta ?? 0) : m), 0);
  expect(header.maxTimestamp).toBe(BigInt(input.baseTimestamp ?? 0n) + BigInt(maxDelta));
  expect(records.map(plain)).toEqual(input.records.map(plain));
  for (const r of records) expect(r.attributes).toBe(0);
}

describe('RecordBatch v2 encode/decode', () => {
  it('property: decode(encode(x)) equals x for every codec', () => {
    fc.assert(
      fc.property(batchArb, (input) => {
        const buf = encodeRecordBatch(input);
        expect(validateBatch(buf, 0)).toEqual({ ok: true, size: buf.length });
        expectRoundTrip(input, buf);
      }),
      { numRuns: 300 },
    );
  });

  it('each codec round-trips large, compressible and incompressible values', () => {
    const random = Buffer.alloc(200_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    const records: RecordInput[] = [
      { key: null, value: Buffer.alloc(300_000, 'abc') },
      { key: Buffer.from('k'), value: random, headers: [{ key: 'ünï', value: Buffer.from('v') }] },
      { key: Buffer.alloc(0), value: Buffer.alloc(0) },
    ];
    for (const compression of codecs) {
      for (const snappyFraming of ['raw', 'xerial'] as const) {
        const input = { compression, snappyFraming, baseTimestamp: 5n, records: records.map((r, i) => ({ ...r, offsetDelta: i })) };
        expectRoundTrip(input, encodeRecordBatch(input));
      }
    }
  });

  it('lays out the header exactly as the protocol says', () => {
    const buf = encodeRecordBatch({
      baseOffset: 42n,
      partitionLeaderEpoch: 7,
      compression: 'none',
      timestampType: 'log-append',
      transactional: true,
      baseTimestamp: 1_700_000_000_000n,
      producerId: 99n,
      producerEpoch: 3,
      baseSequence: 11,
      records: [{ key: null, value: Buffer.from('x'), timestampDelta: 2 }],
    });
    expect(buf.readBigInt64BE(BATCH_OFFSET.baseOffset)).toBe(42n);
    expect(buf.readInt32BE(BATCH_OFFSET.batchLength)).toBe(buf.length - 12);
    expect(buf.readInt32BE(BATCH_OFFSET.partitionLeaderEpoch)).toBe(7);
    expect(buf.readInt8(BATCH_OFFSET.magic)).toBe(2);
    expect(buf.readInt16BE(BATCH_OFFSET.attributes)).toBe(0x08 | 0x10);
    expect(buf.readBigInt64BE(BATCH_OFFSET.maxTimestamp)).toBe(1_700_000_000_002n);
    expect(buf.readInt32BE(BATCH_OFFSET.recordCount)).toBe(1);
    // Record: body length 7 → zig-zag 14; attributes 0; tsDelta 2 → 4; offsetDelta 0; key -1 → 1; value len 1 → 2; 'x'; 0 headers.
    expect([...buf.subarray(BATCH_HEADER_SIZE)]).toEqual([14, 0, 4, 0, 1, 2, 0x78, 0]);
  });

  it('CRC is stable: same input, same bytes; the CRC field matches CRC32C of attributes..end', () => {
    fc.assert(
      fc.property(batchArb, (input) => {
        const a = encodeRecordBatch(input);
        const b = encodeRecordBatch(input);
        expect(a.equals(b)).toBe(true);
        const crc = a.readUInt32BE(BATCH_OFFSET.crc);
        writeBatchCrc(a, 0, a.length);
        expect(a.readUInt32BE(BATCH_OFFSET.crc)).toBe(crc);
      }),
      { numRuns: 50 },
    );
  });

  it('property: the chunked encoding is the same bytes, with large values referenced not copied', () => {
    const big = fc.option(fc.integer({ min: 0, max: 5000 }).map((n) => Buffer.alloc(n, n & 0xff)), { nil: null });
    fc.assert(
      fc.property(batchArb, fc.array(big, { maxLength: 6 }), (input, values) => {
        const withBig = { ...input, baseTimestamp: 1n, records: [...input.records, ...values.map((value, i) => ({ key: null, value, offsetDelta: 100_000 + i }))] };
        const whole = encodeRecordBatch(withBig);
        const chunks = encodeRecordBatchChunks(withBig);
        expect(Buffer.concat(chunks).equals(whole)).toBe(true);
        if ((input.compression ?? 'none') === 'none') {
          for (const v of values) if (v !== null && v.length >= 1024) expect(chunks).toContain(v);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('absolute offsets and timestamps follow the timestamp type', () => {
    const records = [{ key: null, value: null, offsetDelta: 0, timestampDelta: 5 }, { key: null, value: null, offsetDelta: 3, timestampDelta: 9 }];
    const create = decodeRecordBatch(encodeRecordBatch({ baseOffset: 100n, baseTimestamp: 1000n, records }));
    expect(create.records.map((r) => recordOffset(create.header, r))).toEqual([100n, 103n]);
    expect(create.records.map((r) => recordTimestamp(create.header, r))).toEqual([1005n, 1009n]);
    const logAppend = decodeRecordBatch(encodeRecordBatch({ baseTimestamp: 1000n, maxTimestamp: 7777n, timestampType: 'log-append', records }));
    expect(logAppend.records.map((r) => recordTimestamp(logAppend.header, r))).toEqual([7777n, 7777n]);
  });

  it('encodes into a caller\'s buffer when it is large enough, else allocates', () => {
    const input = { baseTimestamp: 1n, records: [{ key: null, value: Buffer.alloc(3000, 1) }] };
    const fresh = encodeRecordBatch(input);
    const target = Buffer.alloc(10_000, 0xee);
    const into = encodeRecordBatch(input, target);
    expect(into.equals(fresh)).toBe(true);
    expect(into.buffer).toBe(target.buffer);
    expect(target[fresh.length]).toBe(0xee);
    const small = Buffer.alloc(100);
    const grown = encodeRecordBatch(input, small);
    expect(grown.equals(fresh)).toBe(true);
    expect(grown.buffer).not.toBe(small.buffer);
  });

  it('an empty batch is valid', () => {
    const buf = encodeRecordBatch({ records: [], baseTimestamp: 0n });
    expect(buf.length).toBe(BATCH_HEADER_SIZE);
    expect(decodeRecordBatch(buf).records).toEqual([]);
  });

  it('explicit attribute bits are kept and explicit fields override them', () => {
    const buf = encodeRecordBatch({ attributes: 0x20 | 0x01, compression: 'lz4', records: [{ key: null, value: null }] });
    const { header } = decodeRecordBatch(buf);
    expect(header.control).toBe(true);
    expect(header.compression).toBe(CompressionCodec.lz4);
  });

  it('refuses input Kafka would refuse with a typed error', () => {
    const rec = { key: null, value: null };
    expect(() => encodeRecordBatch({ records: [{ ...rec, offsetDelta: 1 }, { ...rec, offsetDelta: 1 }] })).toThrow(RecordBatchError);
    expect(() => encodeRecordBatch({ records: [{ ...rec, offsetDelta: -1 }] })).toThrow(RecordBatchError);
    expect(() => encodeRecordBatch({ records: [{ ...rec, timestampDelta: 2 ** 60 }] })).toThrow(RecordBatchError);
    expect(() => encodeRecordBatch({ attributes: 7, records: [] })).toThrow(RecordBatchError);
    try {
      encodeRecordBatch({ records: [{ ...rec, offsetDelta: 0.5 }] });
    } catch (e) {
      expect((e as RecordBatchError).code).toBe(ErrorCode.INVALID_RECORD);
    }
  });
});

describe('decodeRecordBatches', () => {
  const batchesArb = fc.array(batchArb, { minLength: 1, maxLength: 5 });

  it('property: decodes every batch of a concatenation in order', () => {
    fc.assert(
      fc.property(batchesArb, (inputs) => {
        const bufs = inputs.map((i) => encodeRecordBatch(i));
        const decoded = decodeRecordBatches(Buffer.concat(bufs));
        expect(decoded.length).toBe(inputs.length);
        decoded.forEach((d, i) => expect(d.records.map(plain)).toEqual(inputs[i]!.records.map(plain)));
      }),
      { numRuns: 100 },
    );
  });

  it('property: a truncated concatenation yields the whole batches and skips the partial one', () => {
    fc.assert(
      fc.property(batchesArb, fc.nat(), (inputs, cutSeed) => {
        const bufs = inputs.map((i) => encodeRecordBatch(i));
        const all = Buffer.concat(bufs);
        const cut = cutSeed % (all.length + 1);
        let whole = 0;
        for (let end = 0, i = 0; i < bufs.length; i++) {
          end += bufs[i]!.length;
          if (end <= cut) whole++;
        }
        expect(decodeRecordBatches(all.subarray(0, cut)).length).toBe(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('a corrupt complete batch throws, it is not skipped', () => {
    const a = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }] });
    const b = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('b') }] });
    const all = Buffer.concat([a, b]);
    all[all.length - 1] = all[all.length - 1]! ^ 0xff;
    expect(() => decodeRecordBatches(all)).toThrow(RecordBatchError);
  });
});

describe('corrupt input', () => {
  function expectTypedOrOk(buf: Buffer): void {
    try {
      decodeRecordBatches(buf);
      decodeRecordBatch(buf);
    } catch (e) {
      if (!(e instanceof RecordBatchError)) throw e;
      expect(typeof e.code).toBe('number');
    }
  }

  it('names the problem: CRC, magic, length, truncation', () => {
    const good = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello') }] });
    const flipped = Buffer.from(good);
    flipped[flipped.length - 2] = flipped[flipped.length - 2]! ^ 1;
    expect(() => decodeRecordBatch(flipped)).toThrow(expect.objectContaining({ problem: 'bad-crc', code: ErrorCode.CORRUPT_MESSAGE }));
    const magic1 = Buffer.from(good);
    magic1[BATCH_OFFSET.magic] = 1;
    expect(() => decodeRecordBatch(magic1)).toThrow(expect.objectContaining({ problem: 'bad-magic', code: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT }));
    expect(() => decodeRecordBatch(good.subarray(0, good.length - 1))).toThrow(expect.objectContaining({ problem: 'truncated' }));
    expect(() => decodeRecordBatch(Buffer.alloc(5))).toThrow(expect.objectContaining({ problem: 'truncated' }));
    const shortLength = Buffer.from(good);
    shortLength.writeInt32BE(3, BATCH_OFFSET.batchLength);
    expect(() => decodeRecordBatch(shortLength)).toThrow(expect.objectContaining({ problem: 'bad-length' }));
  });

  it('record-level damage behind a valid CRC is caught (e.g. a lying record count)', () => {
    const good = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('hello') }, { key: null, value: null }] });
    const lying = Buffer.from(good);
    lying.writeInt32BE(1, BATCH_OFFSET.recordCount);
    writeBatchCrc(lying, 0, lying.length);
    expect(() => decodeRecordBatch(lying)).toThrow(expect.objectContaining({ problem: 'bad-record' }));
    const huge = Buffer.from(good);
    huge.writeInt32BE(0x7fffffff, BATCH_OFFSET.recordCount);
    huge.writeInt32BE(0x7ffffffe, BATCH_OFFSET.lastOffsetDelta);
    writeBatchCrc(huge, 0, huge.length);
    expect(() => decodeRecordBatch(huge)).toThrow(expect.objectContaining({ problem: 'bad-count' }));
  });

  it('property: random damage (CRC re-sealed) to any codec gives a typed error or a valid decode', () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        (input, flips) => {
          const buf = encodeRecordBatch(input);
          for (const [at, mask] of flips) {
            const i = BATCH_OFFSET.attributes + (at % (buf.length - BATCH_OFFSET.attributes));
            buf[i] = buf[i]! ^ mask;
          }
          writeBatchCrc(buf, 0, buf.length);
          expectTypedOrOk(buf);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: random bytes and truncations never escape as anything but RecordBatchError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (a) => expectTypedOrOk(Buffer.from(a))));
    fc.assert(
      fc.property(batchArb, fc.nat(), (input, cutSeed) => {
        const buf = encodeRecordBatch(input);
        expectTypedOrOk(buf.subarray(0, cutSeed % (buf.length + 1)));
      }),
      { numRuns: 100 },
    );
  });

  it('a decompression bomb stops at the limit with a typed error', () => {
    const bomb = encodeRecordBatch({ compression: 'gzip', records: [{ key: null, value: Buffer.alloc(4 << 20) }] });
    expect(() => decodeRecordBatch(bomb, { maxDecompressedBytes: 1 << 20 })).toThrow(expect.objectContaining({ problem: 'too-large' }));
    for (const compression of ['snappy', 'lz4', 'zstd'] as const) {
      const b = encodeRecordBatch({ compression, records: [{ key: null, value: Buffer.alloc(4 << 20) }] });
      expect(() => decodeRecordBatch(b, { maxDecompressedBytes: 1 << 20 }), compression).toThrow(RecordBatchError);
    }
  });
});
