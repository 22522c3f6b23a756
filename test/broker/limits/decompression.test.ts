/**
 * Decompression has an output limit: a compressed batch inflates to at most the topic's max.message.bytes
 * (plus a batch header), checked while inflating, never after; a produced batch past it is refused, a
 * stored one fails only the request that needed it; large batches inflate off the event loop.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync } from 'snappy';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress, decompressAsync, initCompression, lz4InflatedSize, zstdDeclaredSize } from '../../../src/protocol/compression/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { createListOffsetsRequest, ListOffsets } from '../../../src/protocol/messages/list-offsets.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { assertServes, kafkaClient, produceRaw, RawClient, readAll, startTestBroker, tempDir, type TestBroker } from '../helpers.js';
import { createTopicWith, lz4ZeroBomb, memoryOf, sealBatch } from './produce-helpers.js';

const MiB = 1024 * 1024;
const LIMIT = 64 * 1024; // the topics' max.message.bytes in the in-process tests
const CODEC = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

async function produce(c: RawClient, topic: string, records: Buffer, partition = 0): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await c.request(Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

async function listOffsetsAt(c: RawClient, topic: string, partitions: number[], timestamp: bigint) {
  const res = await c.request(
    ListOffsets,
    7,
    createListOffsetsRequest({ replicaId: -1, topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }] }),
  );
  return res.topics[0]!.partitions;
}

/** `n` records whose values are `size` zero bytes each: compresses very well, inflates to about n * size. */
function zeroRecords(n: number, size: number) {
  return Array.from({ length: n }, () => ({ key: null, value: Buffer.alloc(size) }));
}

describe('the decompression bomb against a broker process (ListOffsets by timestamp)', () => {
  let broker: ChildBroker;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir();
    broker = await startChildBroker(['--data-dir', dataDir]);
  }, 60_000);
  afterAll(async () => {
    broker?.child.kill('SIGTERM');
    await broker?.exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses an LZ4 batch inflating to 400 MiB at produce time; peak RSS stays flat and the broker serves', async () => {
    const pid = broker.child.pid!;
    // The same client raises the topic's limit, as in the attack, as far as it goes: the broker's
    // --max-inflated-batch-bytes (64 MiB by default) still bounds the inflation.
    await createTopicWith(kafkaClient(broker), 'bomb', { 'max.message.bytes': String(0x7fffffff) });
    const before = memoryOf(pid);
    const base = BigInt(Date.now());
    const batch = sealBatch(lz4ZeroBomb(400 * MiB), { codec: CODEC.lz4, recordCount: 1000, baseTimestamp: base, maxTimestamp: base + 10n });
    expect(batch.length).toBeLessThan(2 * MiB);
    const c = await RawClient.connect(broker);
    const r = await produce(c, 'bomb', batch);
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toMatch(/inflates past/);
    // Nothing was stored, so the lookup has nothing to inflate.
    const [p] = await listOffsetsAt(c, 'bomb', [0], base + 5n);
    expect(p).toMatchObject({ errorCode: 0, offset: -1n });
    c.close();
    const after = memoryOf(pid);
    expect(after.peakMiB - before.peakMiB, `peak RSS grew from ${before.peakMiB} to ${after.peakMiB} MiB`).toBeLessThan(64);
    // A fresh client is served, and an ordinary batch on the same topic goes through.
    await assertServes(broker);
    const c2 = await RawClient.connect(broker);
    expect((await produceRaw(c2, 'bomb', 0, ['still fine'], { compression: 'lz4' })).errorCode).toBe(0);
    c2.close();
    expect((await readAll(broker, 'bomb')).map((x) => x.value)).toEqual(['still fine']);
  }, 60_000);
});

describe('produce-time limits per codec', () => {
  let broker: TestBroker;
  let c: RawClient;
  beforeAll(async () => {
    await initCompression();
    broker = await startTestBroker();
    await createTopicWith(kafkaClient(broker), 'limited', { 'max.message.bytes': String(LIMIT) });
    c = await RawClient.connect(broker);
  });
  afterAll(async () => {
    c?.close();
    await broker?.stop();
  });

  const hw = () => broker.context.topics.partition('limited', 0)!.highWatermark;

  const zeros = Buffer.alloc(8 * MiB);
  const noSizeZstd = (): Buffer => execFileSync('zstd', ['-c', '-q'], { input: zeros, maxBuffer: 64 * MiB });
  const bombs: [string, number, () => Buffer][] = [
    ['gzip', CODEC.gzip, () => gzipSync(zeros)],
    // snappy cannot compress better than about 21:1, so its bombs are smaller (still 16x the limit).
    ['snappy (raw)', CODEC.snappy, () => snappyCompressSync(zeros.subarray(0, MiB))],
    ['snappy (xerial)', CODEC.snappy, () => compress(CODEC.snappy, zeros.subarray(0, MiB), { snappyFraming: 'xerial' })],
    ['lz4 (lz4-napi frame)', CODEC.lz4, () => compressFrameSync(zeros)],
    ['lz4 (hand-made bomb)', CODEC.lz4, () => lz4ZeroBomb(8 * MiB)],
    ['zstd (content size declared)', CODEC.zstd, () => compress(CODEC.zstd, zeros)],
    ['zstd (streamed, no content size)', CODEC.zstd, noSizeZstd],
  ];
  for (const [name, codec, make] of bombs) {
    it(`${name}: a small batch inflating to 1-8 MiB is refused with INVALID_RECORD and nothing is stored`, async () => {
      const payload = make();
      if (name.includes('no content size')) expect(zstdDeclaredSize(payload)).toBeUndefined();
      const batch = sealBatch(payload, { codec, recordCount: 10 });
      expect(batch.length).toBeLessThan(LIMIT);
      const before = hw();
      const r = await produce(c, 'limited', batch);
      expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
      expect(hw()).toBe(before);
      await assertServes(broker);
    });
  }

  it('every codec: a batch within the limit is accepted and reads back', async () => {
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      expect((await produceRaw(c, 'limited', 0, ['a', 'b', compression], { compression })).errorCode).toBe(0);
    }
    const values = (await readAll(broker, 'limited')).map((r) => r.value);
    expect(values).toEqual(['a', 'b', 'gzip', 'a', 'b', 'snappy', 'a', 'b', 'lz4', 'a', 'b', 'zstd']);
  });

  it('a compressed batch holding fewer or more records than its header declares is refused (INVALID_RECORD)', async () => {
    for (const codec of Object.values(CODEC)) {
      const inner = decompress(codec, encodeRecordBatch({ compression: codec, records: zeroRecords(3, 10) }).subarray(61), {});
      for (const declared of [2, 4]) {
        const before = hw();
        const r = await produce(c, 'limited', sealBatch(compress(codec, inner), { codec, recordCount: declared }));
        expect(r.errorCode, `codec ${codec}, ${declared} declared`).toBe(ErrorCode.INVALID_RECORD);
        expect(hw()).toBe(before);
      }
    }
  });

  it('compressed bytes that do not inflate are refused (CORRUPT_MESSAGE)', async () => {
    const garbage = Buffer.from('this is not compressed data at all, in any codec'.repeat(4));
    for (const codec of Object.values(CODEC)) {
      const r = await produce(c, 'limited', sealBatch(garbage, { codec, recordCount: 1 }));
      expect(r.errorCode, `codec ${codec}`).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
    await assertServes(broker);
  });
});

describe('--max-inflated-batch-bytes caps what a topic allows', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ maxInflatedBatchBytes: MiB });
    await createTopicWith(kafkaClient(broker), 'raised', { 'max.message.bytes': String(64 * MiB) });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('a batch inflating past the cap is refused even though the topic allows more; one under it is stored', async () => {
    const c = await RawClient.connect(broker);
    const over = encodeRecordBatch({ compression: 'gzip', records: zeroRecords(4, 300 * 1024) });
    const r = await produce(c, 'raised', over);
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toMatch(/max-inflated-batch-bytes/);
    const under = encodeRecordBatch({ compression: 'gzip', records: zeroRecords(3, 300 * 1024) });
    expect((await produce(c, 'raised', under)).errorCode).toBe(0);
    c.close();
    await assertServes(broker);
  });
});

describe('a stored batch past the limit fails only the request that needs it', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    await createTopicWith(kafkaClient(broker), 'stored', { 'max.message.bytes': String(LIMIT) }, 2);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('ListOffsets by timestamp answers INVALID_RECORD for that partition, serves the others, and the header answers without inflating', async () => {
    const base = 1_700_000_000_000n;
    // Written straight to the log, as if stored before the limit was lowered (the log itself never inflates).
    const bomb = sealBatch(lz4ZeroBomb(8 * MiB), { codec: CODEC.lz4, recordCount: 5, baseTimestamp: base, maxTimestamp: base + 100n });
    await broker.context.topics.partition('stored', 0)!.append(bomb);
    const c = await RawClient.connect(broker);
    expect((await produceRaw(c, 'stored', 0, ['later'], { timestamp: Number(base) + 200 })).errorCode).toBe(0);
    expect((await produceRaw(c, 'stored', 1, ['other partition'], { timestamp: Number(base) + 60, compression: 'gzip' })).errorCode).toBe(0);

    // Between the bomb's base and max timestamps: only its records know, and they will not inflate within the limit.
    const [p0, p1] = await listOffsetsAt(c, 'stored', [0, 1], base + 50n);
    expect(p0!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(p1).toMatchObject({ errorCode: 0, offset: 0n });
    // At or before its base timestamp the header is the answer: the first record, nothing inflated.
    const [early] = await listOffsetsAt(c, 'stored', [0], base);
    expect(early).toMatchObject({ errorCode: 0, offset: 0n });
    // MAX_TIMESTAMP lands on the later one-record batch, answered from its header.
    const [max] = await listOffsetsAt(c, 'stored', [0], -3n);
    expect(max).toMatchObject({ errorCode: 0, offset: 5n, timestamp: base + 200n });
    c.close();
    await assertServes(broker);
  });
});

describe('codec limits hold while inflating, off the event loop', () => {
  beforeAll(async () => {
    await initCompression();
  });

  it('the LZ4 frame walk measures frames of every shape exactly and stops at the limit', () => {
    const data = Buffer.concat([Buffer.from('kafkaesque '.repeat(50_000)), Buffer.alloc(300_000, 7), Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) & 0xff))]);
    const frames = [
      compressFrameSync(data),
      execFileSync('lz4', ['-c', '-q', '-BD', '--content-size'], { input: data, maxBuffer: 64 * MiB }), // linked blocks, content size
      execFileSync('lz4', ['-c', '-q', '-9', '-BX', '-B4'], { input: data, maxBuffer: 64 * MiB }), // block checksums, 64 KiB blocks
    ];
    for (const f of frames) {
      expect(lz4InflatedSize(f, 10 * MiB)).toBe(data.length);
      expect(() => lz4InflatedSize(f, data.length - 1)).toThrow(/limit/);
    }
    // A bomb's walk stops at the limit without producing anything (a 1 GiB bomb, a 1 MiB limit).
    const started = performance.now();
    expect(() => lz4InflatedSize(lz4ZeroBomb(1024 * MiB), MiB)).toThrow(/limit/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('property: the LZ4 walk agrees with the decoder, and damaged frames never inflate past the limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200_000 }), fc.integer({ min: 0, max: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), (bytes, repeat, damage) => {
        const data = Buffer.concat(Array.from({ length: repeat + 1 }, () => Buffer.from(bytes)));
        const frame = compressFrameSync(data);
        expect(lz4InflatedSize(frame, data.length)).toBe(data.length);
        for (const [at, value] of damage) frame[7 + (at % Math.max(1, frame.length - 7))] = value;
        const limit = Math.max(1, data.length);
        try {
          expect(decompress(CODEC.lz4, frame, { maxDecompressedBytes: limit }).length).toBeLessThanOrEqual(limit);
        } catch (e) {
          expect((e as Error).name).toBe('CompressionError');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('decompress never inflates past the limit: a 1 GiB LZ4 bomb is refused without the process growing by it', () => {
    const bomb = lz4ZeroBomb(1024 * MiB);
    const before = process.memoryUsage().rss;
    expect(() => decompress(CODEC.lz4, bomb, { maxDecompressedBytes: 16 * MiB })).toThrow(/limit/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * MiB);
  });

  it('large batches inflate while the event loop keeps turning (thread pool / worker)', async () => {
    const data = Buffer.alloc(48 * MiB, 3);
    for (const [name, codec, payload] of [
      ['gzip', CODEC.gzip, gzipSync(data, { level: 1 })],
      ['snappy', CODEC.snappy, snappyCompressSync(data)],
      ['lz4', CODEC.lz4, compressFrameSync(data)],
      ['zstd', CODEC.zstd, compress(CODEC.zstd, data)],
    ] as const) {
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const out = await decompressAsync(codec, payload, { maxDecompressedBytes: 64 * MiB });
      spinning = false;
      expect(out.length, name).toBe(data.length);
      expect(turns, `${name}: the event loop turned ${turns} times while inflating`).toBeGreaterThan(1);
      await expect(decompressAsync(codec, payload, { maxDecompressedBytes: 8 * MiB }), name).rejects.toMatchObject({ tooLarge: true });
    }
  }, 60_000);
});
