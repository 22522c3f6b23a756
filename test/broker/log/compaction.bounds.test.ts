/**
 * The cleaner's bounds and Kafka 3.x semantics beyond the basics: the key map's memory bound
 * (log.cleaner.dedupe.buffer.size) and cleaning over several passes when it fills, streamed reads
 * (log.cleaner.io.buffer.size), max.compaction.lag.ms (KIP-354), and KIP-534 delete horizons for tombstones
 * and transaction markers.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanPartition, type CleanerConfig } from '../../../src/broker/log/cleaner/cleaner.js';
import { OFFSET_MAP_ENTRY_BYTES, OffsetMap } from '../../../src/broker/log/cleaner/offset-map.js';
import { segmentBatches } from '../../../src/broker/log/cleaner/segment-reader.js';
import { Throttle } from '../../../src/broker/log/cleaner/throttle.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import type { PartitionLog } from '../../../src/broker/log/partition-log.js';
import { ATTRIBUTE } from '../../../src/protocol/batch-header.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../../src/protocol/records.js';
import { encodeMarker } from '../../../src/broker/txn/control-batch.js';
import { removeDir, tempDir } from './helpers.js';
import { keyedBatch, latestMap, readRecords } from './compaction-helpers.js';

const T0 = 1_700_000_000_000;
const unlimited: CleanerConfig = { ioMaxBytesPerSecond: -1 };
let dir: string;
let logs: LogManager;
beforeEach(async () => {
  dir = tempDir();
  logs = await LogManager.open(dir, { segmentBytes: 2048, logCleanerEnable: false });
});
afterEach(async () => {
  await logs.close();
  removeDir(dir);
});

async function topic(configs: Record<string, string>): Promise<PartitionLog> {
  await logs.createTopic('c', 1, { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', ...configs });
  return logs.partition('c', 0)!;
}

/** Appends a large record of its own key, which rolls the segment before it: what precedes becomes cleanable. */
async function roll(log: PartitionLog, ts = T0): Promise<void> {
  await log.append(keyedBatch([{ key: 'roll', value: 'r'.repeat(1500) }], ts));
  await log.append(keyedBatch([{ key: 'roll', value: 'r'.repeat(1500) }], ts));
}

/** Every batch of the log, control batches included, with its header. */
async function batches(log: PartitionLog) {
  const out = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const { records } = await log.read(next, 1 << 20);
    for (const b of decodeRecordBatches(records!)) {
      out.push(b);
      next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

describe('the key map bound (log.cleaner.dedupe.buffer.size)', () => {
  it('holds at most the bound however many keys, and grows only as keys arrive', () => {
    const bound = 64 * 1024;
    const map = new OffsetMap(bound);
    expect(map.slots).toBe(Math.floor(bound / OFFSET_MAP_ENTRY_BYTES));
    for (let i = 0; i < Math.floor(map.slots * 0.9); i++) map.put(Buffer.from(`key-${i}`), i);
    expect(map.bytes).toBeLessThanOrEqual(bound);
    expect(map.get(Buffer.from('key-7'))).toBe(7);
    expect(map.get(Buffer.from('absent'))).toBe(-1);
    // A re-put keeps the higher offset (a committed transaction's older keys never move a key backwards).
    map.put(Buffer.from('key-7'), 3);
    expect(map.get(Buffer.from('key-7'))).toBe(7);
    expect(() => new OffsetMap(OFFSET_MAP_ENTRY_BYTES - 1)).toThrow(/at least 24/);
  });

  it('grows by doubling from 1.5 MiB up to the bound, never past it, losing no key', () => {
    const bound = 4 * 1024 * 1024;
    const map = new OffsetMap(bound);
    expect(map.bytes).toBe(65_536 * OFFSET_MAP_ENTRY_BYTES);
    const n = Math.floor(map.slots * 0.9);
    for (let i = 0; i < n; i++) map.put(Buffer.from(`key-${i}`), i);
    expect(map.bytes).toBe(map.slots * OFFSET_MAP_ENTRY_BYTES);
    expect(map.bytes).toBeLessThanOrEqual(bound);
    for (let i = 0; i < n; i += 97) expect(map.get(Buffer.from(`key-${i}`))).toBe(i);
    expect(map.size).toBe(n);
  });

  it('answers as a Map of the highest offset per key, across growth and keys of every tail length (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 1_000_000 })), { maxLength: 3000 }), fc.constantFrom(64 * 1024, 4 * 1024 * 1024), (puts, bound) => {
        const map = new OffsetMap(bound);
        const reference = new Map<string, number>();
        for (const [key, offset] of puts) {
          if (map.size >= Math.floor(map.slots * 0.9) && !reference.has(Buffer.from(key).toString('hex'))) break;
          map.put(key, offset);
          const k = Buffer.from(key).toString('hex');
          reference.set(k, Math.max(reference.get(k) ?? -1, offset));
        }
        expect(map.size).toBe(reference.size);
        for (const [k, offset] of reference) expect(map.get(Buffer.from(k, 'hex'))).toBe(offset);
        expect(map.bytes).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 60 },
    );
  });

  it('a map of 10 keys cleans a log of 300 distinct keys correctly over several passes', async () => {
    const log = await topic({});
    const written = [];
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 100; k++) {
        const r = { key: `k${(k * 7 + round) % 300}-${round % 2}`, value: `v${round}-${k}` };
        written.push(r);
        await log.append(keyedBatch([r], T0));
      }
    }
    await roll(log);
    const cfg: CleanerConfig = { ...unlimited, dedupeBufferBytes: 10 * OFFSET_MAP_ENTRY_BYTES, loadFactor: 1 };
    const sealedEnd = log.inactiveSegments().at(-1)!.nextOffset;
    let passes = 0;
    while ((log.cleanedUpTo ?? 0n) < sealedEnd) {
      const r = await cleanPartition(log, cfg, T0 + 1);
      passes++;
      // Never more keys than the bound allows, and every pass but the last stops because the map is full.
      expect(r.mapEntries).toBeLessThanOrEqual(10);
      expect(r.mapBytes).toBeLessThanOrEqual(10 * OFFSET_MAP_ENTRY_BYTES);
      if ((log.cleanedUpTo ?? 0n) < sealedEnd) expect(r.mapFull).toBe(true);
      expect(passes).toBeLessThan(200);
    }
    expect(passes).toBeGreaterThan(20);
    const after = (await readRecords(log)).filter((r) => r.key !== 'roll');
    expect(latestMap(after)).toEqual(latestMap(written));
    // Fully compacted: one record per key.
    expect(after.length).toBe(latestMap(written).size);
  });
});

describe('transactions with a bounded key map', () => {
  const txn = (pid: bigint, key: string, value: string) =>
    encodeRecordBatch({ transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0, baseTimestamp: T0, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });

  it('over many passes of a 3-key map: aborted data goes, committed data counts, open transactions wait for their marker', async () => {
    const log = await topic({});
    const expected = new Map<string, string>();
    for (let i = 0; i < 30; i++) {
      const pid = BigInt(100 + (i % 3));
      const key = `k${i % 5}`;
      // Interleaved transactions of three producers: every third one aborts.
      await log.append(txn(pid, key, `t${i}`));
      await log.append(keyedBatch([{ key: `p${i % 4}`, value: `p${i}` }], T0));
      expected.set(`p${i % 4}`, `p${i}`);
      const commit = i % 3 !== 2;
      await log.append(encodeMarker(pid, 0, commit, T0));
      if (commit) expected.set(key, `t${i}`);
    }
    // One transaction still open at the end of the sealed segments.
    await log.append(txn(200n, 'open', 'pending'));
    await roll(log);
    const cfg: CleanerConfig = { ...unlimited, dedupeBufferBytes: 3 * OFFSET_MAP_ENTRY_BYTES, loadFactor: 1 };
    for (let pass = 0; pass < 100; pass++) await cleanPartition(log, cfg, T0 + 1);
    const sealedEnd = log.inactiveSegments().at(-1)!.nextOffset;
    const openBase = (await batches(log)).find((b) => b.header.producerId === 200n)!.header.baseOffset;
    // The checkpoint never passes the open transaction, so a later clean sees it with its marker.
    expect(log.cleanedUpTo).toBe(openBase);
    expect(log.cleanedUpTo! < sealedEnd).toBe(true);
    const after = await readRecords(log);
    expect(after.some((r) => r.value!.startsWith('t') && Number(r.value!.slice(1)) % 3 === 2)).toBe(false);
    const committed = after.filter((r) => r.key !== 'roll' && r.key !== 'open');
    expect(new Map(committed.map((r) => [r.key, r.value]))).toEqual(expected);
    // One record per key: the committed transactional records shadowed the older ones across passes.
    expect(committed.length).toBe(expected.size);
    expect(after.find((r) => r.key === 'open')?.value).toBe('pending');

    // Its marker arrives and is sealed: the next clean decides it and the checkpoint moves on.
    await log.append(encodeMarker(200n, 0, false, T0));
    await roll(log);
    for (let pass = 0; pass < 20; pass++) await cleanPartition(log, cfg, T0 + 1);
    expect((await readRecords(log)).some((r) => r.key === 'open')).toBe(false);
    expect(log.cleanedUpTo).toBe(log.inactiveSegments().at(-1)!.nextOffset);
  });

  it('a full map past an open transaction goes on at the next pass (not held), and passes the transaction when it must', async () => {
    const log = await topic({});
    for (let i = 0; i < 5; i++) await log.append(keyedBatch([{ key: `a${i}`, value: `old${i}` }], T0));
    await log.append(txn(400n, 'open', 'pending'));
    for (let i = 0; i < 20; i++) await log.append(keyedBatch([{ key: `b${i}`, value: `${i}` }], T0));
    for (let i = 0; i < 5; i++) await log.append(keyedBatch([{ key: `a${i}`, value: `new${i}` }], T0));
    await roll(log);
    const sealedEnd = log.inactiveSegments().at(-1)!.nextOffset;
    const cfg: CleanerConfig = { ...unlimited, dedupeBufferBytes: 4 * OFFSET_MAP_ENTRY_BYTES, loadFactor: 1 };
    let passes = 0;
    while ((log.cleanedUpTo ?? 0n) < sealedEnd && passes < 100) {
      await cleanPartition(log, cfg, T0 + 1);
      passes++;
    }
    expect(log.cleanedUpTo).toBe(sealedEnd);
    const after = await readRecords(log);
    expect(after.filter((r) => r.key.startsWith('a')).map((r) => r.value)).toEqual(['new0', 'new1', 'new2', 'new3', 'new4']);
    // The open transaction's batch stays whole (its marker never came).
    expect(after.find((r) => r.key === 'open')?.value).toBe('pending');
  });

  it('a clean held back by an open transaction is not repeated while nothing new is sealed', async () => {
    const log = await topic({});
    for (let i = 0; i < 10; i++) await log.append(keyedBatch([{ key: `k${i % 2}`, value: `v${i}` }], T0));
    await log.append(txn(300n, 'open', 'pending'));
    await roll(log);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBeGreaterThan(0);
    // Dirty bytes remain (the checkpoint is before the open batch), but there is nothing new to decide.
    const again = await cleanPartition(log, unlimited, T0 + 1);
    expect(again.mapBytes).toBe(0);
  });
});

describe('streamed segments (log.cleaner.io.buffer.size)', () => {
  it('cleans through a buffer smaller than one batch, reading a large batch on its own', async () => {
    const log = await topic({});
    for (let i = 0; i < 6; i++) await log.append(keyedBatch([{ key: `k${i % 2}`, value: `${i}`.repeat(600) }], T0));
    await roll(log);
    await cleanPartition(log, { ...unlimited, ioBufferBytes: 256 }, T0 + 1);
    const after = (await readRecords(log)).filter((r) => r.key !== 'roll');
    expect(after.map((r) => r.value![0])).toEqual(['4', '5']);
  });

  it('refuses a batch larger than max.message.bytes and the buffer, saying which', async () => {
    const log = await topic({});
    await log.append(keyedBatch([{ key: 'big', value: 'b'.repeat(1500) }], T0));
    await roll(log);
    const seg = log.inactiveSegments()[0]!;
    const read = async () => {
      for await (const _ of segmentBatches(seg, { bufferBytes: 256, maxBatchBytes: 1000 }, new Throttle(-1))) void _;
    };
    await expect(read()).rejects.toThrow(/larger than max.message.bytes \(1000\)/);
  });
});

describe('max.compaction.lag.ms (KIP-354)', () => {
  it('cleans a log below min.cleanable.dirty.ratio once a dirty record is older than the lag', async () => {
    const log = await topic({ 'min.cleanable.dirty.ratio': '1', 'max.compaction.lag.ms': '60000' });
    for (let i = 0; i < 20; i++) await log.append(keyedBatch([{ key: `k${i % 2}`, value: `v${i}` }], T0));
    await roll(log, T0);
    // Ratio 1 is never exceeded: only the lag can trigger a clean.
    expect((await cleanPartition(log, unlimited, T0 + 59_000)).segmentsCleaned).toBe(0);
    expect((await cleanPartition(log, unlimited, T0 + 61_000)).segmentsCleaned).toBeGreaterThan(0);
    expect((await readRecords(log)).filter((r) => r.key !== 'roll').length).toBe(2);
  });

  it('rolls the active segment of a compacted topic at the lag (Kafka: min(segment.ms, max.compaction.lag.ms))', async () => {
    const log = await topic({ 'max.compaction.lag.ms': '150' });
    await log.append(keyedBatch([{ key: 'a', value: '1' }], Date.now()));
    const segments = log.inactiveSegments().length;
    // At least the lag passes (a lower bound, not a guess at how long anything takes).
    await new Promise((r) => setTimeout(r, 200));
    await log.append(keyedBatch([{ key: 'a', value: '2' }], Date.now()));
    expect(log.inactiveSegments().length).toBe(segments + 1);
  });
});

describe('delete horizons (KIP-534)', () => {
  const RETENTION = 10_000;

  it('a tombstone survives delete.retention.ms from the first clean that kept it, whatever its timestamp', async () => {
    const log = await topic({ 'delete.retention.ms': String(RETENTION) });
    await log.append(keyedBatch([{ key: 'a', value: 'old' }], T0));
    await log.append(keyedBatch([{ key: 'a', value: null }, { key: 'b', value: 'kept' }], T0 + 5));
    await roll(log);
    // Cleaned long after the tombstone was written: by the batch timestamp it would be gone, by the horizon not.
    const firstClean = T0 + 10 * RETENTION;
    await cleanPartition(log, unlimited, firstClean);
    const stamped = (await batches(log)).find((b) => b.records.some((r) => r.key?.toString() === 'a'))!;
    expect(stamped.header.attributes & ATTRIBUTE.deleteHorizon).toBe(ATTRIBUTE.deleteHorizon);
    expect(stamped.header.baseTimestamp).toBe(BigInt(firstClean + RETENTION));
    // Record timestamps are unchanged (deltas re-based on the horizon), and so is the batch's max timestamp.
    expect(stamped.header.maxTimestamp).toBe(BigInt(T0 + 5));
    expect(stamped.records.map((r) => stamped.header.baseTimestamp + BigInt(r.timestampDelta))).toEqual([BigInt(T0 + 5), BigInt(T0 + 5)]);
    expect((await readRecords(log)).filter((r) => r.key === 'a')).toEqual([expect.objectContaining({ value: null })]);

    await roll(log);
    await cleanPartition(log, unlimited, firstClean + RETENTION - 1);
    expect((await readRecords(log)).some((r) => r.key === 'a')).toBe(true);
    await roll(log);
    await cleanPartition(log, unlimited, firstClean + RETENTION);
    const after = await readRecords(log);
    expect(after.some((r) => r.key === 'a')).toBe(false);
    expect(after.find((r) => r.key === 'b')?.value).toBe('kept');
  });

  it('ListOffsets by time still finds records of a batch whose base timestamp became its horizon', async () => {
    const log = await topic({ 'delete.retention.ms': String(RETENTION) });
    await log.append(
      encodeRecordBatch({
        baseTimestamp: BigInt(T0),
        records: [
          { key: Buffer.from('a'), value: null, timestampDelta: 0 },
          { key: Buffer.from('b'), value: Buffer.from('x'), timestampDelta: 100 },
          { key: Buffer.from('c'), value: Buffer.from('y'), timestampDelta: 200 },
        ],
      }),
    );
    await roll(log, T0 + 1000);
    await cleanPartition(log, unlimited, T0 + 5000);
    expect((await batches(log))[0]!.header.attributes & ATTRIBUTE.deleteHorizon).toBe(ATTRIBUTE.deleteHorizon);
    expect(await log.offsetForTimestamp(BigInt(T0 + 150))).toEqual(expect.objectContaining({ offset: 2n, timestamp: BigInt(T0 + 200) }));
    expect(await log.offsetForTimestamp(BigInt(T0 + 50))).toEqual(expect.objectContaining({ offset: 1n, timestamp: BigInt(T0 + 100) }));
  });

  it("a COMMIT marker goes after the horizon once its transaction's data is gone; an ABORT marker and a marker with data stay", async () => {
    const log = await topic({ 'delete.retention.ms': String(RETENTION) });
    const txn = (pid: bigint, key: string, value: string) =>
      encodeRecordBatch({ transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0, baseTimestamp: T0, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
    await log.append(txn(7n, 'x', 'committed, then overwritten'));
    await log.append(encodeMarker(7n, 0, true, T0));
    await log.append(txn(8n, 'y', 'aborted'));
    await log.append(encodeMarker(8n, 0, false, T0));
    await log.append(txn(9n, 'z', 'committed and latest'));
    await log.append(encodeMarker(9n, 0, true, T0));
    await log.append(keyedBatch([{ key: 'x', value: 'plain' }], T0));
    await roll(log);
    const markers = async () => (await batches(log)).filter((b) => b.header.control).map((b) => b.header.producerId);
    expect(await markers()).toEqual([7n, 8n, 9n]);

    await cleanPartition(log, unlimited, T0 + 1);
    // Producer 7's data is gone: its marker is stamped with a horizon but stays until then.
    const stamped = (await batches(log)).find((b) => b.header.control && b.header.producerId === 7n)!;
    expect(stamped.header.attributes & ATTRIBUTE.deleteHorizon).toBe(ATTRIBUTE.deleteHorizon);
    expect(stamped.header.baseTimestamp).toBe(BigInt(T0 + 1 + RETENTION));
    expect(await markers()).toEqual([7n, 8n, 9n]);

    await roll(log);
    await cleanPartition(log, unlimited, T0 + 1 + RETENTION);
    expect(await markers()).toEqual([8n, 9n]);
    const after = await readRecords(log);
    expect(after.find((r) => r.key === 'z')?.value).toBe('committed and latest');
    expect(after.find((r) => r.key === 'x')?.value).toBe('plain');
    expect(after.some((r) => r.key === 'y')).toBe(false);
  });
});
