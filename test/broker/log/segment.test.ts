/**
 * LogSegment on its own (src/broker/log/segment.ts), on real files in a temp dir: appends become visible at
 * commit, lookups by offset and by timestamp agree with a linear scan over what was appended, reads return
 * exact bytes, a failed write leaves nothing behind, and garbage on disk ends a scan instead of being read.
 */
import fs from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summarizeHeader, type BatchSummary } from '../../../src/broker/log/batch-summary.js';
import { HandleCache } from '../../../src/broker/log/handle-cache.js';
import { IndexResidency } from '../../../src/broker/log/index-residency.js';
import { LogSegment, type SegmentEnv, type SegmentIndexing } from '../../../src/broker/log/segment.js';
import { nodeStorageIo, type StorageIo } from '../../../src/broker/log/storage-io.js';
import { BATCH_OFFSET } from '../../../src/protocol/batch-header.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { decodeAll, removeDir, tempDir } from './helpers.js';

let dir: string;
let open: LogSegment[] = [];
beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  for (const s of open) await s.close();
  open = [];
  removeDir(dir);
});

const env = (io: StorageIo = nodeStorageIo): SegmentEnv => ({ io, handles: new HandleCache(4), residency: new IndexResidency() });

async function segment(indexing: Partial<SegmentIndexing> = {}, io?: StorageIo, baseOffset = 100n): Promise<LogSegment> {
  const seg = await LogSegment.create(dir, baseOffset, { indexIntervalBytes: 0, maxIndexBytes: 1 << 20, ...indexing }, env(io));
  open.push(seg);
  return seg;
}

/** One batch of `count` records stamped at the segment's next offset, with record i at `timestamp + i`. */
function stampedBatch(seg: LogSegment, count: number, timestamp: number, tag = 'r'): Buffer {
  return encodeRecordBatch({
    baseOffset: seg.nextOffset,
    baseTimestamp: timestamp,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${tag}${seg.nextOffset + BigInt(i)}`), timestampDelta: i })),
  });
}

/** Writes and commits one batch, as the partition log does; returns its summary at its file position. */
async function append(seg: LogSegment, buf: Buffer, nowMs = 0): Promise<BatchSummary> {
  const summary = summarizeHeader(buf, 0, buf.length) as BatchSummary;
  const position = seg.size;
  await seg.write(buf, false);
  seg.commit([summary], buf.length, nowMs);
  return { ...summary, position };
}

describe('LogSegment', () => {
  it('creates its three files; an append is invisible until commit, then readable byte for byte', async () => {
    const seg = await segment();
    for (const p of Object.values(seg.paths)) expect(fs.existsSync(p)).toBe(true);
    expect(seg.isEmpty).toBe(true);
    expect(seg.nextOffset).toBe(100n);

    const buf = stampedBatch(seg, 3, 1_000);
    const summary = summarizeHeader(buf, 0, buf.length) as BatchSummary;
    await seg.write(buf, false);
    // Written but not committed: readers never see it.
    expect(seg.size).toBe(0);
    expect(await seg.findBatch(100n)).toBeUndefined();
    expect(await seg.scanHeaders(0, () => true)).toBeUndefined();
    seg.commit([summary], buf.length, 5);
    expect(seg.size).toBe(buf.length);
    expect(seg.nextOffset).toBe(103n);
    expect(seg.maxTimestamp).toBe(1_002n);
    expect(seg.offsetOfMaxTimestamp).toBe(100n);
    expect(seg.firstAppendMs).toBe(5);
    expect(await seg.findBatch(101n)).toEqual({ ...summary, position: 0 });
    expect(Buffer.compare(await seg.read(0, buf.length), buf)).toBe(0);
    expect(decodeAll(await seg.read(0, buf.length))).toEqual([[100n, 'r100'], [101n, 'r101'], [102n, 'r102']]);
  });

  it('findBatch and findBatchByTimestamp agree with a linear scan, whatever the index density (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), timestamp: fc.integer({ min: 0, max: 50 }) }), { minLength: 1, maxLength: 25 }),
        fc.constantFrom(0, 100, 400, 1 << 20),
        fc.boolean(),
        async (batches, indexIntervalBytes, seal) => {
          const seg = await segment({ indexIntervalBytes }, undefined, BigInt(batches.length * 1000));
          const appended: BatchSummary[] = [];
          for (const b of batches) appended.push(await append(seg, stampedBatch(seg, b.count, b.timestamp)));
          if (seal) {
            await seg.seal(); // reads now go through the handle cache, lookups through the persisted indexes
            seg.unloadIndexes();
          }
          for (let o = seg.baseOffset - 1n; o <= seg.nextOffset; o++) {
            const expected = appended.find((b) => b.lastOffset >= o);
            expect(await seg.findBatch(o)).toEqual(expected);
          }
          for (let t = -1; t <= 56; t++) {
            const expected = appended.find((b) => b.maxTimestamp >= BigInt(t));
            expect(await seg.findBatchByTimestamp(BigInt(t))).toEqual(expected);
          }
          await seg.delete();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a write that fails half way is truncated away and rethrown; the next append lands where it should', async () => {
    let failNext = false;
    const io: StorageIo = {
      ...nodeStorageIo,
      async write(fh, buf, position) {
        if (!failNext) return nodeStorageIo.write(fh, buf, position);
        failNext = false;
        await nodeStorageIo.write(fh, buf.subarray(0, buf.length >> 1), position); // half of it reaches the file
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    const seg = await segment({}, io);
    const first = await append(seg, stampedBatch(seg, 2, 10));
    failNext = true;
    await expect(seg.write(stampedBatch(seg, 2, 20), false)).rejects.toThrow(/ENOSPC/);
    expect(fs.statSync(seg.paths.log).size).toBe(first.size);
    expect(seg.damaged).toBe(false);
    const second = await append(seg, stampedBatch(seg, 2, 30));
    expect(second.position).toBe(first.size);
    expect(decodeAll(await seg.read(0, seg.size)).map(([o]) => o)).toEqual([100n, 101n, 102n, 103n]);
  });

  it('marks itself damaged when even the truncation after a failed write fails', async () => {
    const io: StorageIo = {
      ...nodeStorageIo,
      write: () => Promise.reject(new Error('EIO: i/o error')),
      truncate: () => Promise.reject(new Error('EIO: i/o error')),
    };
    const seg = await segment({}, io);
    await expect(seg.write(Buffer.alloc(100), false)).rejects.toThrow(/EIO/);
    expect(seg.damaged).toBe(true);
  });

  it('counts writes as unflushed until a sync, and a write with sync=true is flushed at once', async () => {
    let syncs = 0;
    const seg = await segment({}, { ...nodeStorageIo, sync: async (fh) => (syncs++, nodeStorageIo.sync(fh)) });
    await append(seg, stampedBatch(seg, 1, 0));
    await append(seg, stampedBatch(seg, 1, 0));
    expect(seg.unflushed).toBe(true);
    await seg.sync();
    expect(seg.unflushed).toBe(false);
    await seg.sync(); // nothing new: no fsync
    expect(syncs).toBe(1);
    await seg.write(stampedBatch(seg, 1, 0), true);
    expect(seg.unflushed).toBe(false);
    expect(syncs).toBe(2);
  });

  it('bytes past the committed size (a torn append, garbage) are never returned', async () => {
    const seg = await segment();
    const a = await append(seg, stampedBatch(seg, 2, 0));
    // A crash left a whole batch that was never committed, half of another, and some noise.
    const whole = stampedBatch(seg, 3, 0);
    await seg.write(whole, false);
    fs.appendFileSync(seg.paths.log, Buffer.concat([whole.subarray(0, 80), Buffer.from('garbage')]));
    expect(await seg.findBatch(a.lastOffset + 1n)).toBeUndefined();
    expect(await seg.findBatchByTimestamp(0n)).toEqual(a);
    expect(await seg.scanHeaders(0, () => false)).toBeUndefined();
    expect((await seg.read(0, seg.size)).length).toBe(a.size);
  });

  it('a corrupt batch length inside the log ends the scan there instead of reading past it', async () => {
    const seg = await segment({ indexIntervalBytes: 1 << 20 }); // no index entries: every lookup scans from 0
    const batches: BatchSummary[] = [];
    for (let i = 0; i < 4; i++) batches.push(await append(seg, stampedBatch(seg, 2, i * 10)));
    await seg.seal();
    const third = batches[2] as BatchSummary;
    const fd = fs.openSync(seg.paths.log, 'r+');
    const bad = Buffer.alloc(4);
    bad.writeInt32BE(3, 0); // a batch length shorter than a header
    fs.writeSync(fd, bad, 0, 4, third.position + BATCH_OFFSET.batchLength);
    fs.closeSync(fd);
    expect(await seg.findBatch(batches[1]!.baseOffset)).toEqual(batches[1]);
    expect(await seg.findBatch(third.baseOffset)).toBeUndefined();
    expect(await seg.findBatch(batches[3]!.baseOffset)).toBeUndefined();
  });

  it('a batch whose length runs past the committed bytes is not returned', async () => {
    const seg = await segment({ indexIntervalBytes: 1 << 20 });
    const batches: BatchSummary[] = [];
    for (let i = 0; i < 3; i++) batches.push(await append(seg, stampedBatch(seg, 2, i * 10)));
    await seg.seal();
    const last = batches[2] as BatchSummary;
    const fd = fs.openSync(seg.paths.log, 'r+');
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(1 << 30, 0);
    fs.writeSync(fd, huge, 0, 4, last.position + BATCH_OFFSET.batchLength);
    fs.closeSync(fd);
    expect(await seg.findBatch(batches[1]!.lastOffset)).toEqual(batches[1]);
    expect(await seg.findBatch(last.baseOffset)).toBeUndefined();
    expect(await seg.findBatchByTimestamp(20n)).toBeUndefined();
  });

  it('seal persists both indexes, closes for appends and keeps serving reads; delete removes the files', async () => {
    const seg = await segment({ indexIntervalBytes: 0 });
    for (let i = 0; i < 5; i++) await append(seg, stampedBatch(seg, 1, 100 + i));
    await seg.seal();
    expect(seg.offsetIndex.isPersisted && seg.timeIndex.isPersisted).toBe(true);
    expect(fs.statSync(seg.paths.index).size).toBe(seg.offsetIndex.entryCount * 8);
    expect(fs.statSync(seg.paths.timeIndex).size).toBe(seg.timeIndex.entryCount * 12);
    await expect(seg.write(stampedBatch(seg, 1, 0), false)).rejects.toThrow(/not open for appends/);
    expect(seg.unloadIndexes()).toBe(true);
    expect(seg.indexBytes).toBe(0);
    expect((await seg.findBatch(103n))?.baseOffset).toBe(103n);
    expect(decodeAll(await seg.read(0, seg.size)).map(([, v]) => v)).toEqual(['r100', 'r101', 'r102', 'r103', 'r104']);
    await seg.delete();
    expect(seg.deleted).toBe(true);
    for (const p of Object.values(seg.paths)) expect(fs.existsSync(p)).toBe(false);
  });

  it('reopened for appends after a seal, it continues at its size with its indexes loaded', async () => {
    const seg = await segment({ indexIntervalBytes: 0 });
    await append(seg, stampedBatch(seg, 2, 0));
    await seg.seal();
    seg.unloadIndexes();
    await seg.openForAppend();
    const next = await append(seg, stampedBatch(seg, 2, 5));
    expect(next.position).toBe(seg.size - next.size);
    expect(decodeAll(await seg.read(0, seg.size)).map(([o]) => o)).toEqual([100n, 101n, 102n, 103n]);
    expect((await seg.findBatch(103n))?.position).toBe(next.position);
  });
});
