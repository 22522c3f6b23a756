import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanPartition } from '../../../src/broker/log/cleaner/cleaner.js';
import { OFFSET_MAP_ENTRY_BYTES } from '../../../src/broker/log/cleaner/offset-map.js';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { removeDir, tempDir } from './helpers.js';
import { keyedBatch, latestMap, type KeyedRecord, readRecords } from './compaction-helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const T0 = 1_700_000_000_000;
const DELETE_RETENTION = 60_000;

const record = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), value: fc.option(fc.string({ maxLength: 20 }), { nil: null, freq: 4 }) });
const batches = fc.array(
  fc.record({ records: fc.array(record, { minLength: 1, maxLength: 8 }), compression: fc.constantFrom(undefined, 'gzip' as const, 'lz4' as const) }),
  { minLength: 1, maxLength: 40 },
);

async function build(input: { records: KeyedRecord[]; compression: 'gzip' | 'lz4' | undefined }[]) {
  const logs = await LogManager.open(dir, { segmentBytes: 600, logCleanerEnable: false });
  await logs.createTopic('c', 1, { 'cleanup.policy': 'compact', 'delete.retention.ms': String(DELETE_RETENTION), 'min.cleanable.dirty.ratio': '0' });
  const log = logs.partition('c', 0)!;
  for (const b of input) await log.append(keyedBatch(b.records, T0, b.compression ? { compression: b.compression } : {}));
  return { logs, log };
}

describe('log compaction (property)', () => {
  it('keeps the latest value per key, strictly increasing offsets, tombstones until their delete horizon; with any key-map bound and I/O buffer', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.boolean(), fc.option(fc.integer({ min: 1, max: 12 })), fc.constantFrom(undefined, 96, 1024), async (input, expire, mapEntries, ioBuffer) => {
        removeDir(dir);
        const { logs, log } = await build(input);
        // A map of a few entries fills after a few keys: each clean then covers part of the log, and the next goes on.
        const cfg = {
          ioMaxBytesPerSecond: -1,
          ...(mapEntries !== null ? { dedupeBufferBytes: mapEntries * OFFSET_MAP_ENTRY_BYTES, loadFactor: 1 } : {}),
          ...(ioBuffer !== undefined ? { ioBufferBytes: ioBuffer } : {}),
        };
        async function cleanAll(now: number): Promise<void> {
          const end = log.inactiveSegments().at(-1)?.nextOffset ?? log.logStartOffset;
          for (let pass = 0; pass < 100 && (log.cleanedUpTo ?? -1n) < end; pass++) await cleanPartition(log, cfg, now);
          if (log.inactiveSegments().length > 0) expect(log.cleanedUpTo).toBe(end);
        }
        try {
          const before = await readRecords(log);
          const sealedEnd = log.inactiveSegments().at(-1)?.nextOffset ?? log.logStartOffset;
          // KIP-534: the first clean stamps a batch keeping a tombstone with now + delete.retention.ms ...
          await cleanAll(T0 + 1);
          if (expire) {
            // ... and a clean after that horizon drops it. Kafka cleans only a log with dirty data: roll some.
            for (let i = 0; i < 3; i++) await log.append(keyedBatch([{ key: 'z', value: 'z'.repeat(450) }], T0));
            await cleanAll(T0 + 1 + DELETE_RETENTION);
          }
          const after = (await readRecords(log)).filter((r) => r.key !== 'z');
          // The consumer's view is unchanged.
          expect(latestMap(after)).toEqual(latestMap(before));
          // Offsets strictly increase, and every record kept is one that was written, at its offset.
          const byOffset = new Map(before.map((r) => [r.offset, r]));
          for (let i = 0; i < after.length; i++) {
            if (i > 0) expect(after[i]!.offset > after[i - 1]!.offset).toBe(true);
            expect(byOffset.get(after[i]!.offset)).toEqual(after[i]);
          }
          const cleaned = after.filter((r) => r.offset < sealedEnd);
          // In the cleaned range each key appears at most once: its latest record.
          const keys = cleaned.map((r) => r.key);
          expect(new Set(keys).size).toBe(keys.length);
          // The key map covers the sealed segments only (the active one is never cleaned), as Kafka's does.
          const lastOf = new Map(before.filter((r) => r.offset < sealedEnd).map((r) => [r.key, r.offset]));
          for (const r of cleaned) expect(r.offset).toBe(lastOf.get(r.key));
          // Tombstones stay until delete.retention.ms, then go.
          const tombstones = cleaned.filter((r) => r.value === null).length;
          const expected = before.filter((r) => r.offset < sealedEnd && r.value === null && lastOf.get(r.key) === r.offset).length;
          expect(tombstones).toBe(expire ? 0 : expected);
          // The compacted log survives a restart (indexes rebuilt from the new files) with the same records.
          await logs.close();
          const reopened = await LogManager.open(dir, { logCleanerEnable: false });
          try {
            expect((await readRecords(reopened.partition('c', 0)!)).filter((r) => r.key !== 'z')).toEqual(after);
          } finally {
            await reopened.close();
          }
        } finally {
          await logs.close();
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});
