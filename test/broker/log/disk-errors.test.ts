import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { nodeStorageIo, type StorageIo } from '../../../src/broker/log/storage-io.js';
import { errno, namedBatch, readAll, removeDir, tempDir } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

/** The real io, except that armed failures fire on the next write / sync / truncate. */
function faultyIo() {
  const faults = { write: false, sync: false, truncate: false };
  const io: StorageIo = {
    async write(fh, buf, position) {
      if (!faults.write) return nodeStorageIo.write(fh, buf, position);
      faults.write = false;
      // Half the bytes reach the file, then the disk is full: the worst case for a torn append.
      await nodeStorageIo.write(fh, buf.subarray(0, buf.length >> 1), position);
      throw errno('ENOSPC');
    },
    async sync(fh) {
      if (!faults.sync) return nodeStorageIo.sync(fh);
      faults.sync = false;
      throw errno('EIO');
    },
    async truncate(fh, length) {
      if (!faults.truncate) return nodeStorageIo.truncate(fh, length);
      faults.truncate = false;
      throw errno('EIO');
    },
  };
  return { io, faults };
}

/** A log over faultyIo holding offsets 0–2 ('a-0'..'a-2'), and its segment file's size then. */
async function threeAppendedOverFaultyIo() {
  const { io, faults } = faultyIo();
  const logs = await LogManager.open(dir, {}, { io });
  await logs.createTopic('t', 1);
  const log = logs.partition('t', 0)!;
  await log.append(namedBatch('a', 3));
  const file = path.join(dir, 't-0', '00000000000000000000.log');
  return { faults, logs, log, file, sizeBefore: fs.statSync(file).size };
}

describe('disk errors', () => {
  it('fails an append on ENOSPC with KAFKA_STORAGE_ERROR and leaves the log intact', async () => {
    const { faults, logs, log, file, sizeBefore } = await threeAppendedOverFaultyIo();
    faults.write = true;
    const err = await log.append(namedBatch('lost', 50, { pad: 100 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 56, retriable: true });
    expect(String((err as Error).message)).toMatch(/disk is full/);
    expect(fs.statSync(file).size).toBe(sizeBefore);
    expect(log.highWatermark).toBe(3n);
    const next = await log.append(namedBatch('b', 2));
    expect(next.baseOffset).toBe(3n);
    expect((await readAll(log, 0n)).map(([o, v]) => `${o}:${v}`)).toEqual(['0:a-0', '1:a-1', '2:a-2', '3:b-0', '4:b-1']);
    await logs.close();
    const again = await LogManager.open(dir);
    expect((await readAll(again.partition('t', 0)!, 0n)).length).toBe(5);
    await again.close();
  });

  it('fails both of two writes in flight when the first hits ENOSPC, and cuts the file back (more orders: writes-in-flight.test.ts)', async () => {
    const { faults, logs, log, file, sizeBefore } = await threeAppendedOverFaultyIo();
    faults.write = true;
    // Not awaited in between: the second write is reserved and started while the first is in flight.
    const settled = await Promise.allSettled([log.append(namedBatch('lost', 50, { pad: 100 })), log.append(namedBatch('after', 5))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    for (const s of settled) expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 56, retriable: true });
    expect(fs.statSync(file).size).toBe(sizeBefore);
    expect(log.highWatermark).toBe(3n);
    expect((await log.append(namedBatch('b', 2))).baseOffset).toBe(3n);
    await logs.abandon();
    const again = await LogManager.open(dir);
    expect((await readAll(again.partition('t', 0)!, 0n)).map(([, v]) => v)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    await again.close();
  });

  it('rolls back a write whose fsync fails under fsync=always', async () => {
    const { io, faults } = faultyIo();
    const logs = await LogManager.open(dir, { fsync: 'always' }, { io });
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await log.append(namedBatch('a', 1));
    faults.sync = true;
    await expect(log.append(namedBatch('x', 1))).rejects.toMatchObject({ code: 56 });
    expect(log.highWatermark).toBe(1n);
    expect((await log.append(namedBatch('b', 1))).baseOffset).toBe(1n);
    expect((await readAll(log, 0n)).map(([, v]) => v)).toEqual(['a-0', 'b-0']);
    await logs.close();
  });

  it('survives a failed background fsync of a rolled segment; close reports it and leaves no clean marker', async () => {
    const { io, faults } = faultyIo();
    const logs = await LogManager.open(dir, { segmentBytes: 1024 }, { io });
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    for (let i = 0; i < 10; i++) await log.append(namedBatch('a', 2, { pad: 30 }));
    faults.sync = true;
    for (let i = 0; i < 10; i++) await log.append(namedBatch('b', 2, { pad: 30 })); // rolls; its fsync fails
    await expect(logs.close()).rejects.toMatchObject({ code: 56 });
    expect(fs.existsSync(path.join(dir, '.kafkaesque-clean-shutdown'))).toBe(false);
    const again = await LogManager.open(dir, { segmentBytes: 1024 });
    expect(again.openedClean).toBe(false);
    expect((await readAll(again.partition('t', 0)!, 0n)).length).toBe(40);
    await again.close();
  });

  it('takes the partition offline when a failed write cannot be undone; a restart recovers it', async () => {
    const { io, faults } = faultyIo();
    const logs = await LogManager.open(dir, {}, { io });
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    await log.append(namedBatch('a', 2));
    faults.write = true;
    faults.truncate = true;
    await expect(log.append(namedBatch('torn', 20, { pad: 50 }))).rejects.toMatchObject({ code: 56 });
    await expect(log.append(namedBatch('refused', 1))).rejects.toThrow(/offline/);
    expect((await readAll(log, 0n)).map(([, v]) => v)).toEqual(['a-0', 'a-1']);
    await logs.abandon();
    const again = await LogManager.open(dir);
    const recovered = again.partition('t', 0)!;
    expect(recovered.loadStats.truncatedBytes).toBeGreaterThan(0);
    expect((await readAll(recovered, 0n)).map(([, v]) => v)).toEqual(['a-0', 'a-1']);
    expect((await recovered.append(namedBatch('c', 1))).baseOffset).toBe(2n);
    await again.close();
  });
});
