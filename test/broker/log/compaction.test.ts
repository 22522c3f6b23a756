import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanPartition } from '../../../src/broker/log/cleaner/cleaner.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { encodeRecordBatch, decodeRecordBatches } from '../../../src/protocol/records.js';
import { encodeMarker } from '../../../src/broker/txn/control-batch.js';
import { removeDir, tempDir } from './helpers.js';
import { keyedBatch, readRecords } from './compaction-helpers.js';

const T0 = 1_700_000_000_000;
let dir: string;
let logs: LogManager;
beforeEach(async () => {
  dir = tempDir();
  logs = await LogManager.open(dir, { segmentBytes: 1024, logCleanerEnable: false });
});
afterEach(async () => {
  await logs.close();
  removeDir(dir);
});

async function topic(configs: Record<string, string>) {
  await logs.createTopic('c', 1, configs);
  return logs.partition('c', 0)!;
}

async function fill(log: Awaited<ReturnType<typeof topic>>, n: number, timestamp = T0) {
  for (let i = 0; i < n; i++) await log.append(keyedBatch([{ key: `k${i % 4}`, value: `v${i}-${'x'.repeat(40)}` }], timestamp));
}

const unlimited = { ioMaxBytesPerSecond: -1 };

describe('log cleaner', () => {
  it('leaves topics without compact in cleanup.policy alone', async () => {
    const log = await topic({ 'cleanup.policy': 'delete', 'min.cleanable.dirty.ratio': '0' });
    await fill(log, 40);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBe(0);
    expect((await readRecords(log)).length).toBe(40);
  });

  it('compacts compact,delete topics', async () => {
    const log = await topic({ 'cleanup.policy': 'compact,delete', 'min.cleanable.dirty.ratio': '0' });
    await fill(log, 40);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBeGreaterThan(0);
    expect((await readRecords(log)).length).toBeLessThan(40);
  });

  it('waits for min.cleanable.dirty.ratio: a cleaned log is not cleaned again until enough new data', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.9' });
    await fill(log, 40);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBeGreaterThan(0);
    // Little new data: below the ratio, nothing happens even though there are duplicates to remove.
    await fill(log, 12);
    const before = await readRecords(log);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBe(0);
    expect(await readRecords(log)).toEqual(before);
  });

  it('remembers across a restart what it cleaned (cleaner-offset-checkpoint)', async () => {
    let log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.9' });
    await fill(log, 40);
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBeGreaterThan(0);
    await fill(log, 12);
    await logs.close();
    logs = await LogManager.open(dir, { segmentBytes: 1024, logCleanerEnable: false });
    log = logs.partition('c', 0)!;
    // Without the checkpoint everything would count as dirty again and be cleaned.
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBe(0);
  });

  it('never compacts records newer than min.compaction.lag.ms', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', 'min.compaction.lag.ms': '60000' });
    await fill(log, 40);
    expect((await cleanPartition(log, unlimited, T0 + 59_000)).segmentsCleaned).toBe(0);
    expect((await readRecords(log)).length).toBe(40);
    expect((await cleanPartition(log, unlimited, T0 + 61_000)).segmentsCleaned).toBeGreaterThan(0);
  });

  it('drops aborted transactions, keeps committed ones deduplicated and keeps the markers', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
    const txn = (pid: bigint, key: string | null, value: string) =>
      encodeRecordBatch({ transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0, baseTimestamp: T0, records: [{ key: key === null ? null : Buffer.from(key), value: Buffer.from(value) }] });
    await log.append(keyedBatch([{ key: 'a', value: 'plain-1' }], T0));
    await log.append(txn(7n, 'a', 'aborted'));
    // A record without key survives compaction, unless its transaction was aborted.
    await log.append(txn(7n, null, 'aborted-keyless'));
    await log.append(txn(8n, null, 'committed-keyless'));
    await log.append(txn(8n, 'b', 'committed'));
    await log.append(encodeMarker(7n, 0, false, T0));
    await log.append(encodeMarker(8n, 0, true, T0));
    await fill(log, 30); // keys k0..k3: rolls segments past the transactions
    const markersBefore = await markerOffsets(log);
    await cleanPartition(log, unlimited, T0 + 1);
    const after = await readRecords(log);
    expect(after.find((r) => r.value === 'aborted')).toBeUndefined();
    expect(after.find((r) => r.value === 'aborted-keyless')).toBeUndefined();
    expect(after.find((r) => r.value === 'committed-keyless')).toBeDefined();
    expect(after.find((r) => r.key === 'a')?.value).toBe('plain-1');
    expect(after.find((r) => r.key === 'b')?.value).toBe('committed');
    expect(await markerOffsets(log)).toEqual(markersBefore);
  });

  it('readers and appends racing the swaps see a consistent log', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
    await fill(log, 80);
    const written = await readRecords(log);
    let cleaning = true;
    let reads = 0;
    const reader = (async () => {
      while (cleaning) {
        // Every read parses (whole batches, CRCs valid) and returns records that were written at their offsets.
        for (const r of await readRecords(log, 200)) {
          const w = written.find((x) => x.offset === r.offset);
          if (w !== undefined) expect(r).toEqual(w);
        }
        reads++;
      }
    })();
    const appender = (async () => {
      for (let i = 0; i < 10; i++) await log.append(keyedBatch([{ key: 'late', value: `late-${i}` }], T0));
    })();
    await cleanPartition(log, unlimited, T0 + 1);
    await appender;
    cleaning = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const after = await readRecords(log);
    expect(after.filter((r) => r.key === 'late').at(-1)?.value).toBe('late-9');
    expect(after.length).toBeLessThan(written.length);
  });

  it.each([
    [5n, 'u1'],
    [9n, 'u5'],
  ])('a read (of offset %s) whose segment is swapped between its index lookup and its file read reads again', async (offset, key) => {
    // Batches of one size: the old position of offset 5 is a batch boundary in the cleaned file too, where
    // offset 9 now sits, so a read that went on with the old position would silently skip offsets 5..8; the
    // old position of offset 9 is past the end of the cleaned file.
    const batch = (key: string) => keyedBatch([{ key, value: 'v'.repeat(20) }], T0);
    const size = batch('s0').length;
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0', 'segment.bytes': String(10 * size) });
    for (const key of ['s0', 's1', 's2', 's3', 'u0', 'u1', 'u2', 'u3', 'u4', 'u5', 's0', 's1', 's2', 's3', 'w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'x']) await log.append(batch(key));
    const seg = log.inactiveSegments()[0]!;
    const fileRead = seg.read.bind(seg);
    let armed = true;
    let swapped = false;
    // The reader's file read of segment 0 waits for a whole clean (which swaps segment 0), then goes on.
    seg.read = async (position, length, buffers) => {
      if (armed) {
        armed = false;
        swapped = (await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned > 0;
      }
      return fileRead(position, length, buffers);
    };
    const { records } = await log.read(offset, 1);
    expect(swapped).toBe(true);
    const [first] = decodeRecordBatches(records!);
    expect(first!.header.baseOffset).toBe(offset);
    expect(first!.records[0]!.key!.toString()).toBe(key);
  });

  it('a read of the old segment between its close and the swap rename leaves no handle of the old file behind', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
    await fill(log, 40);
    // The last sealed segment: it keeps records (the latest of each key), so reads go to its new file.
    const seg = log.inactiveSegments().at(-1)!;
    const close = seg.close.bind(seg);
    let raced = false;
    // A reader that borrows the old segment's file right after the cleaner closed it, before the rename.
    seg.close = async () => {
      await close();
      if (!raced) {
        raced = true;
        await seg.read(0, 61);
      }
    };
    expect((await cleanPartition(log, unlimited, T0 + 1)).segmentsCleaned).toBeGreaterThan(0);
    expect(raced).toBe(true);
    // What the log serves is what is on disk now: reopened from the files, it reads the same.
    const served = await readRecords(log);
    await logs.close();
    logs = await LogManager.open(dir, { segmentBytes: 1024, logCleanerEnable: false });
    expect(await readRecords(logs.partition('c', 0)!)).toEqual(served);
    expect(served.length).toBeLessThan(40);
  });

  it('keeps log.cleaner.io.max.bytes.per.second', async () => {
    const log = await topic({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0' });
    await fill(log, 60);
    const rate = 40_000;
    const started = Date.now();
    const r = await cleanPartition(log, { ioMaxBytesPerSecond: rate }, T0 + 1);
    const elapsed = Date.now() - started;
    // Every cleanable byte is read twice (key pass, rewrite pass), and what changed is written once.
    const sealed = r.bytesBefore;
    expect(sealed).toBeGreaterThan(2000);
    expect(elapsed).toBeGreaterThanOrEqual(((2 * sealed + r.bytesAfter) / rate) * 1000 * 0.9);
  });
});

async function markerOffsets(log: Awaited<ReturnType<typeof topic>>): Promise<bigint[]> {
  const out: bigint[] = [];
  let next = log.logStartOffset;
  while (next < log.highWatermark) {
    const { records } = await log.read(next, 64 * 1024);
    for (const b of decodeRecordBatches(records!)) {
      if (b.header.control) out.push(b.header.baseOffset);
      next = b.header.baseOffset + BigInt(b.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}
