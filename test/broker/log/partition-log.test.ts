import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { StorageError } from '../../../src/broker/log/errors.js';
import { BATCH_OFFSET, readBatchHeader, writeBatchCrc } from '../../../src/protocol/batch-header.js';
import { batch, decodeAll, namedBatch, readAll, removeDir, tempDir } from './helpers.js';

let dir: string;
let logs: LogManager | undefined;

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  await logs?.close().catch(() => undefined);
  logs = undefined;
  removeDir(dir);
});

async function openTopic(config: Parameters<typeof LogManager.open>[1] = {}, topicConfigs: Record<string, string> = {}) {
  logs = await LogManager.open(dir, config);
  await logs.createTopic('t', 1, topicConfigs);
  return logs.partition('t', 0)!;
}

async function expectCode(p: Promise<unknown>, code: number): Promise<StorageError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StorageError);
  expect((e as StorageError).code).toBe(code);
  return e as StorageError;
}

describe('PartitionLog append/read', () => {
  it('assigns offsets in place and reads the batches back with valid CRCs', async () => {
    const log = await openTopic();
    const b1 = namedBatch('a', 3);
    const r1 = await log.append(b1);
    expect(r1).toEqual({ baseOffset: 0n, lastOffset: 2n, logAppendTime: -1n, logStartOffset: 0n });
    expect(b1.readBigInt64BE(0)).toBe(0n);
    const b2 = namedBatch('b', 2);
    const r2 = await log.append(b2);
    expect(r2.baseOffset).toBe(3n);
    expect(b2.readBigInt64BE(0)).toBe(3n); // rewritten in the caller's buffer
    expect(log.highWatermark).toBe(5n);
    const { records, highWatermark, logStartOffset } = await log.read(0n, 1 << 20);
    expect(highWatermark).toBe(5n);
    expect(logStartOffset).toBe(0n);
    expect(decodeAll(records)).toEqual([
      [0n, 'a-0'], [1n, 'a-1'], [2n, 'a-2'], [3n, 'b-0'], [4n, 'b-1'],
    ]);
  });

  it('appends several concatenated batches with one call', async () => {
    const log = await openTopic();
    const r = await log.append(Buffer.concat([namedBatch('x', 2), namedBatch('y', 3), namedBatch('z', 1)]));
    expect(r.baseOffset).toBe(0n);
    expect(r.lastOffset).toBe(5n);
    expect((await readAll(log, 0n)).map(([o, v]) => `${o}:${v}`)).toEqual(['0:x-0', '1:x-1', '2:y-0', '3:y-1', '4:y-2', '5:z-0']);
  });

  it('returns the whole batch holding any offset inside it', async () => {
    const log = await openTopic();
    for (let i = 0; i < 20; i++) await log.append(namedBatch(`b${i}`, 1 + (i % 4)));
    const hw = log.highWatermark;
    for (let o = 0n; o < hw; o++) {
      const { records } = await log.read(o, 1);
      const got = decodeAll(records);
      const offsets = got.map(([x]) => x);
      expect(offsets[0]! <= o && o <= offsets.at(-1)!).toBe(true);
      expect(readBatchHeader(records!).baseOffset).toBe(offsets[0]);
    }
  });

  it('limits reads to whole batches within maxBytes, but returns at least one', async () => {
    const log = await openTopic();
    const sizes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const b = namedBatch(`m${i}`, 5, { pad: 100 });
      sizes.push(b.length);
      await log.append(b);
    }
    const one = await log.read(0n, 10);
    expect(one.records!.length).toBe(sizes[0]);
    const three = await log.read(0n, sizes[0]! + sizes[1]! + sizes[2]! + 5);
    expect(three.records!.length).toBe(sizes[0]! + sizes[1]! + sizes[2]!);
    const none = await log.read(0n, 10, { minOneBatch: false });
    expect(none.records).toBeNull();
  });

  it('refuses offsets outside [logStartOffset, highWatermark] and returns nothing at the high watermark', async () => {
    const log = await openTopic();
    await log.append(namedBatch('a', 2));
    expect((await log.read(2n, 1000)).records).toBeNull();
    await expectCode(log.read(3n, 1000), 1);
    await expectCode(log.read(-1n, 1000), 1);
  });

  it('rejects a bad batch anywhere in the append and writes nothing', async () => {
    const log = await openTopic({ maxMessageBytes: 2000 });
    await log.append(namedBatch('ok', 1));
    const corrupt = namedBatch('c', 2);
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    const e = await expectCode(log.append(Buffer.concat([namedBatch('good', 1), corrupt])), 2);
    expect(e.message).toMatch(/CRC32C/);
    const magic1 = namedBatch('m', 1);
    magic1.writeInt8(1, BATCH_OFFSET.magic);
    expect((await expectCode(log.append(magic1), 43)).message).toMatch(/magic 1/);
    await expectCode(log.append(namedBatch('big', 1, { pad: 3000 })), 10);
    const badCount = namedBatch('n', 3);
    badCount.writeInt32BE(2, BATCH_OFFSET.recordCount);
    writeBatchCrc(badCount, 0, badCount.length);
    await expectCode(log.append(badCount), 87);
    await expectCode(log.append(namedBatch('t', 2).subarray(0, 40)), 2);
    const inflated = namedBatch('i', 1);
    inflated.writeInt32BE(999_999, BATCH_OFFSET.lastOffsetDelta);
    inflated.writeInt32BE(1_000_000, BATCH_OFFSET.recordCount);
    writeBatchCrc(inflated, 0, inflated.length);
    await expectCode(log.append(inflated), 87);
    await expectCode(log.append(Buffer.alloc(0)), 87);
    expect(log.highWatermark).toBe(1n);
    expect(decodeAll((await log.read(0n, 1 << 20)).records)).toEqual([[0n, 'ok-0']]);
  });

  it('stamps LogAppendTime: timestamp type, max timestamp and a fresh CRC', async () => {
    const log = await openTopic({}, { 'message.timestamp.type': 'LogAppendTime' });
    const r = await log.append(namedBatch('l', 2, { baseTimestamp: 5 }), { now: 123456789n });
    expect(r.logAppendTime).toBe(123456789n);
    const { records } = await log.read(0n, 1 << 20);
    const h = readBatchHeader(records!);
    expect(h.maxTimestamp).toBe(123456789n);
    expect(h.attributes & 0x08).toBe(0x08);
    expect(decodeAll(records)).toHaveLength(2); // CRC checked inside
  });

  it('rolls segments at segment.bytes and finds every offset through the sparse index', async () => {
    const log = await openTopic({ segmentBytes: 4096, indexIntervalBytes: 256 });
    const expected: Array<[bigint, string]> = [];
    for (let i = 0; i < 300; i++) {
      const n = 1 + (i % 3);
      const r = await log.append(namedBatch(`s${i}`, n, { pad: i % 7 }));
      for (let k = 0; k < n; k++) expected.push([r.baseOffset + BigInt(k), `s${i}-${k}${'.'.repeat(i % 7)}`]);
    }
    expect(log.segmentCount).toBeGreaterThan(5);
    expect(await readAll(log, 0n, 700)).toEqual(expected);
    for (let o = 0n; o < log.highWatermark; o += 7n) {
      const got = decodeAll((await log.read(o, 1)).records);
      expect(got.some(([x]) => x === o)).toBe(true);
    }
    await logs!.close();
    logs = await LogManager.open(dir, { segmentBytes: 4096, indexIntervalBytes: 256 });
    expect(logs.openedClean).toBe(true);
    const reopened = logs.partition('t', 0)!;
    expect(reopened.highWatermark).toBe(BigInt(expected.length));
    expect(await readAll(reopened, 0n, 5000)).toEqual(expected);
    const next = await reopened.append(namedBatch('after', 1));
    expect(next.baseOffset).toBe(BigInt(expected.length));
  });

  it('rolls when an index is full (segment.index.bytes)', async () => {
    const log = await openTopic({ indexIntervalBytes: 0, maxIndexBytes: 24 });
    for (let i = 0; i < 12; i++) await log.append(namedBatch(`f${i}`, 1));
    // every batch after a segment's first is indexed; 24 bytes hold 3 offset entries → 4 batches a segment
    expect(log.segmentCount).toBe(3);
    expect(log.segmentBaseOffsets()).toEqual([0n, 4n, 8n]);
    expect((await readAll(log, 0n)).map(([o]) => o)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)));
  });

  it('rolls on segment.ms', async () => {
    const log = await openTopic({ segmentMs: 1000 });
    await log.append(namedBatch('a', 1), { now: 1n });
    await log.append(namedBatch('b', 1), { now: 2n });
    expect(log.segmentCount).toBe(1);
    await log.append(namedBatch('c', 1), { now: 1000n }); // 999 ms after the segment's first append: no roll
    expect(log.segmentCount).toBe(1);
    await log.append(namedBatch('d', 1), { now: 1001n }); // segment.ms after it: rolls
    expect(log.segmentCount).toBe(2);
    expect(log.segmentBaseOffsets()).toEqual([0n, 3n]);
    await log.append(namedBatch('e', 1)); // the real clock (epoch ms) is far later still: rolls again
    expect(log.segmentCount).toBe(3);
    expect(log.segmentBaseOffsets()).toEqual([0n, 3n, 4n]);
  });

  it('serializes concurrent appends into distinct, contiguous offsets', async () => {
    const log = await openTopic({ segmentBytes: 2048 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(namedBatch(`c${i}`, 2))));
    const bases = results.map((r) => r.baseOffset).sort((a, b) => (a < b ? -1 : 1));
    expect(bases).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i * 2)));
    expect((await readAll(log, 0n)).length).toBe(100);
  });
});

describe('long-poll wakeups', () => {
  it('waitForData resolves on the next append, not before', async () => {
    const log = await openTopic();
    let woke = false;
    const waiting = log.waitForData(0n).then(() => {
      woke = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    await log.append(namedBatch('w', 1));
    await waiting;
    expect(woke).toBe(true);
    await log.waitForData(0n); // already past: immediate
  });

  it('waitForData resolves when aborted, and onAppend reports the high watermark', async () => {
    const log = await openTopic();
    const ac = new AbortController();
    const waiting = log.waitForData(5n, ac.signal);
    ac.abort();
    await waiting;
    const seen: bigint[] = [];
    const off = log.onAppend((hw) => seen.push(hw));
    await log.append(namedBatch('e', 3));
    off();
    await log.append(namedBatch('e', 1));
    expect(seen).toEqual([3n]);
  });
});

describe('timestamps', () => {
  it('finds the first offset at or after a timestamp, inside batches too', async () => {
    const log = await openTopic({ indexIntervalBytes: 64, segmentBytes: 2000 });
    // record k of batch i has timestamp 1000 + 10 * (3i + k)
    for (let i = 0; i < 60; i++) {
      await log.append(batch(['a', 'b', 'c'], { baseTimestamp: 1000 + 30 * i, tsDeltas: [0, 10, 20] }));
    }
    expect(log.segmentCount).toBeGreaterThan(2);
    for (const [ts, want] of [[0n, 0n], [1000n, 0n], [1001n, 1n], [1010n, 1n], [1555n, 56n], [2790n, 179n]] as const) {
      expect((await log.offsetForTimestamp(ts))?.offset).toBe(want);
    }
    expect(await log.offsetForTimestamp(2791n)).toBeUndefined();
    expect(await log.maxTimestamp()).toEqual({ offset: 179n, timestamp: 2790n });
  });
});

describe('timestamps in compressed and LogAppendTime batches', () => {
  it('finds records inside compressed batches and uses the stamped time under LogAppendTime', async () => {
    const log = await openTopic();
    await log.append(batch(['p', 'q', 'r'], { baseTimestamp: 100, tsDeltas: [0, 10, 20], compression: 'gzip' }));
    await log.append(batch(['s', 't'], { baseTimestamp: 200, tsDeltas: [0, 10], compression: 'gzip' }));
    expect(await log.offsetForTimestamp(105n)).toEqual({ offset: 1n, timestamp: 110n });
    expect(await log.offsetForTimestamp(150n)).toEqual({ offset: 3n, timestamp: 200n });
    await log.append(namedBatch('lat', 2, { baseTimestamp: 1 }), { logAppendTime: true, now: 5000n });
    expect(await log.offsetForTimestamp(4000n)).toEqual({ offset: 5n, timestamp: 5000n });
    expect(await log.maxTimestamp()).toEqual({ offset: 5n, timestamp: 5000n });
    expect(decodeAll((await log.read(0n, 1 << 20)).records).map(([, v]) => v)).toEqual(['p', 'q', 'r', 's', 't', 'lat-0', 'lat-1']);
  });
});

describe('DeleteRecords', () => {
  it('advances the log start offset, deletes whole segments below it and persists it', async () => {
    const log = await openTopic({ segmentBytes: 1024 });
    for (let i = 0; i < 40; i++) await log.append(namedBatch(`d${i}`, 2, { pad: 20 }));
    const segmentsBefore = log.segmentCount;
    expect(await log.deleteRecordsBefore(31n)).toBe(31n);
    expect(log.logStartOffset).toBe(31n);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    await expectCode(log.read(30n, 100), 1);
    const got = decodeAll((await log.read(31n, 100)).records);
    expect(got.map(([o]) => o)).toContain(31n);
    await expectCode(log.deleteRecordsBefore(1000n), 1);
    await logs!.close();
    logs = await LogManager.open(dir, { segmentBytes: 1024 });
    expect(logs.partition('t', 0)!.logStartOffset).toBe(31n);
  });
});

describe('retention', () => {
  it('deletes whole old segments by retention.ms, never the active one', async () => {
    const log = await openTopic({ segmentBytes: 600, retentionMs: 1000 });
    for (let i = 0; i < 10; i++) await log.append(namedBatch(`r${i}`, 3, { baseTimestamp: 10_000 + i * 100, pad: 30 }));
    expect(log.segmentCount).toBeGreaterThan(3);
    expect(await log.runRetention(10_500)).toBe(0);
    const deleted = await log.runRetention(11_650);
    expect(deleted).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
    const remaining = await readAll(log, log.logStartOffset);
    expect(remaining[0]![0]).toBe(log.logStartOffset);
    // everything old: all but the active segment goes
    await log.runRetention(1e12);
    expect(log.segmentCount).toBe(1);
    expect(log.highWatermark).toBe(30n);
  });

  it('deletes the oldest segments while the partition exceeds retention.bytes', async () => {
    const log = await openTopic({ segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 30; i++) await log.append(namedBatch(`z${i}`, 2, { pad: 40 }));
    const before = log.sizeInBytes;
    expect(before).toBeGreaterThan(2500);
    await log.runRetention(Date.now());
    expect(log.sizeInBytes).toBeLessThanOrEqual(2500 + 1000);
    expect(log.sizeInBytes).toBeGreaterThanOrEqual(2500 - 1000);
    expect((await readAll(log, log.logStartOffset)).at(-1)![0]).toBe(59n);
  });

  it('applies per-topic retention overrides', async () => {
    logs = await LogManager.open(dir, { segmentBytes: 500 });
    await logs.createTopic('keep', 1);
    await logs.createTopic('short', 1, { 'retention.ms': '10' });
    for (const t of ['keep', 'short']) {
      for (let i = 0; i < 10; i++) await logs.partition(t, 0)!.append(namedBatch(t, 3, { baseTimestamp: 1000, pad: 30 }));
    }
    await logs.runRetention(5000);
    expect(logs.partition('keep', 0)!.logStartOffset).toBe(0n);
    expect(logs.partition('short', 0)!.logStartOffset).toBeGreaterThan(0n);
  });
});
