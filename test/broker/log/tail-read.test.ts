/** Reads served from the in-memory copy of the latest small append match reads from the file, byte for byte. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { namedBatch, removeDir, tempDir } from './helpers.js';

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

describe('reads at the tail of the log', () => {
  it('return the same whole batches, limits and next-read position as reads from the file', async () => {
    logs = await LogManager.open(dir, {});
    await logs.createTopic('t', 1, {});
    const log = logs.partition('t', 0)!;
    // Appends of several batches each, so a tail read can start mid-append and stop at maxBytes.
    for (let a = 0; a < 6; a++) {
      const parts = [namedBatch(`a${a}x`, 2, { pad: 50 }), namedBatch(`a${a}y`, 3, { pad: 80 }), namedBatch(`a${a}z`, 1, { pad: 20 })];
      await log.append(Buffer.concat(parts));
      const hw = log.highWatermark;
      const sizes = parts.map((p) => p.length);
      for (let offset = hw - 6n; offset < hw; offset++) {
        for (const maxBytes of [1, sizes[0]!, sizes[0]! + sizes[1]!, 1 << 20]) {
          const fromTail = await log.read(offset, maxBytes);
          const fromFile = await fileRead(log, offset, maxBytes);
          expect(fromTail.highWatermark).toBe(hw);
          expect(fromTail.records!.equals(fromFile!)).toBe(true);
          // Served from the tail copy (a view into it), not from the file.
          const tailBytes = (log as unknown as { tail: { bytes: Buffer } }).tail.bytes;
          expect(fromTail.records!.buffer).toBe(tailBytes.buffer);
          expect(fromTail.records!.byteOffset).toBeGreaterThanOrEqual(tailBytes.byteOffset);
          expect(fromTail.records!.byteOffset + fromTail.records!.length).toBeLessThanOrEqual(tailBytes.byteOffset + tailBytes.length);
        }
      }
      expect((await log.read(hw - 6n, 1, { minOneBatch: false })).records).toBeNull();
    }
    // Consumers following the log batch by batch read everything, across tail and file reads.
    let offset = 0n;
    let count = 0;
    while (offset < log.highWatermark) {
      const r = await log.read(offset, 150);
      const records = r.records!;
      offset = records.readBigInt64BE(0) + BigInt(records.readInt32BE(23)) + 1n;
      count++;
    }
    expect(offset).toBe(36n);
    expect(count).toBe(18);
  });
});

/** The same read, bypassing the tail: the whole batches from the one holding `offset`, from the file. */
async function fileRead(log: NonNullable<ReturnType<LogManager['partition']>>, offset: bigint, maxBytes: number): Promise<Buffer | null> {
  const tail = (log as unknown as { tail: unknown }).tail;
  (log as unknown as { tail: unknown }).tail = undefined;
  try {
    return (await log.read(offset, maxBytes)).records;
  } finally {
    (log as unknown as { tail: unknown }).tail = tail;
  }
}
