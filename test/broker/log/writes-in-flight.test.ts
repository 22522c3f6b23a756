/**
 * Two writes in flight per partition (partition-log.ts): positions and offsets are reserved in order, the
 * high watermark only moves over completed writes, in log order, and a failed write cuts the log back to
 * the last completed one, failing the write after it too (no gap, no garbage, on disk or after recovery).
 * The io seam holds writes at a gate, so "in flight" is an observed state, not a timing guess.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { nodeStorageIo, type StorageIo } from '../../../src/broker/log/storage-io.js';
import { decodeAll, errno, namedBatch, readAll, removeDir, tempDir } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

type Outcome = 'ok' | 'enospc' | 'torn';

interface HeldWrite {
  length: number;
  /** Lets the write go on: 'ok' writes it all, 'torn' half then ENOSPC, 'enospc' nothing then ENOSPC. */
  release(outcome?: Outcome): void;
}

/** The real io, but with `hold` set every write waits until the test releases it. */
function gatedIo() {
  const state = { hold: false, truncateFails: false, started: [] as HeldWrite[], waiting: [] as (() => void)[] };
  const io: StorageIo = {
    async write(fh, buf, position) {
      if (!state.hold) return nodeStorageIo.write(fh, buf, position);
      const outcome = await new Promise<Outcome>((resolve) => {
        state.started.push({ length: buf.length, release: (o = 'ok') => resolve(o) });
        for (const w of state.waiting.splice(0)) w();
      });
      if (outcome === 'ok') return nodeStorageIo.write(fh, buf, position);
      if (outcome === 'torn') await nodeStorageIo.write(fh, buf.subarray(0, buf.length >> 1), position);
      throw errno('ENOSPC');
    },
    sync: (fh) => nodeStorageIo.sync(fh),
    async truncate(fh, length) {
      if (state.truncateFails) throw errno('EIO');
      return nodeStorageIo.truncate(fh, length);
    },
  };
  /** Resolves once `n` held writes have started. */
  const started = async (n: number): Promise<HeldWrite[]> => {
    while (state.started.length < n) await new Promise<void>((resolve) => state.waiting.push(resolve));
    return state.started.slice(0, n);
  };
  return { io, state, started };
}

async function openLog(io: StorageIo, config: Record<string, unknown> = {}) {
  const logs = await LogManager.open(dir, config, { io });
  await logs.createTopic('t', 1);
  return { logs, log: logs.partition('t', 0)! };
}

const file = (): string => path.join(dir, 't-0', '00000000000000000000.log');
const values = async (log: Parameters<typeof readAll>[0]): Promise<string[]> => (await readAll(log, 0n)).map(([, v]) => v);

describe('two writes in flight', () => {
  it('keeps two writes in flight, never three, and publishes the high watermark in log order', async () => {
    const { io, state, started } = gatedIo();
    const { logs, log } = await openLog(io);
    await log.append(namedBatch('a', 1));
    state.hold = true;
    let hwSeen: bigint[] = [];
    log.onAppend((hw) => hwSeen.push(hw));
    const first = log.append(namedBatch('b', 2));
    const second = log.append(namedBatch('c', 3));
    const third = log.append(namedBatch('d', 1));
    const [w1, w2] = await started(2);
    // A bounded wait for a third write that must not start (the gate would record it).
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(state.started.length).toBe(2);
    // The second write completes first: nothing becomes visible, a read at the end sees nothing new.
    w2!.release();
    let secondDone = false;
    void second.then(() => (secondDone = true));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    expect(log.highWatermark).toBe(1n);
    expect((await log.read(1n, 1 << 20)).records).toBeNull();
    expect(hwSeen).toEqual([]);
    // The first completes: both commit, in order; the third starts.
    w1!.release();
    expect((await first).baseOffset).toBe(1n);
    expect((await second).baseOffset).toBe(3n);
    expect(hwSeen).toEqual([3n, 6n]);
    const [, , w3] = await started(3);
    w3!.release();
    expect((await third).baseOffset).toBe(6n);
    expect(await values(log)).toEqual(['a-0', 'b-0', 'b-1', 'c-0', 'c-1', 'c-2', 'd-0']);
    await logs.close();
    hwSeen = [];
  });

  it.each([
    ['the first write fails half-written (ENOSPC), the second lands', 'torn', 'ok'],
    ['the first write fails, the second fails too', 'enospc', 'torn'],
  ] as const)('%s: both fail, the file is cut back, the next append continues the log', async (_, firstOutcome, secondOutcome) => {
    const { io, state, started } = gatedIo();
    const { logs, log } = await openLog(io);
    await log.append(namedBatch('a', 3));
    const sizeBefore = fs.statSync(file()).size;
    state.hold = true;
    const lost1 = log.append(namedBatch('lost1', 20, { pad: 50 })).catch((e: unknown) => e);
    const lost2 = log.append(namedBatch('lost2', 20, { pad: 50 })).catch((e: unknown) => e);
    const [w1, w2] = await started(2);
    // The second write lands (or fails) first, then the first fails: the worst order for a hole.
    w2!.release(secondOutcome);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    w1!.release(firstOutcome);
    for (const err of [await lost1, await lost2]) {
      expect(err).toMatchObject({ code: 56, retriable: true });
      expect(String((err as Error).message)).toMatch(/disk is full/);
    }
    state.hold = false;
    expect(fs.statSync(file()).size).toBe(sizeBefore);
    expect(log.highWatermark).toBe(3n);
    expect((await log.append(namedBatch('b', 2))).baseOffset).toBe(3n);
    expect(await values(log)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    await logs.abandon(); // recovery from a crash sees exactly the acknowledged records
    const again = await LogManager.open(dir);
    expect(again.partition('t', 0)!.loadStats.truncatedBytes).toBe(0);
    expect(await values(again.partition('t', 0)!)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    await again.close();
  });

  it('the first write completes and the second fails: the first is acknowledged, only the second is cut', async () => {
    const { io, state, started } = gatedIo();
    const { logs, log } = await openLog(io);
    state.hold = true;
    const kept = log.append(namedBatch('kept', 2));
    const lost = log.append(namedBatch('lost', 5, { pad: 40 })).catch((e: unknown) => e);
    const [w1, w2] = await started(2);
    w2!.release('torn');
    w1!.release('ok');
    expect((await kept).baseOffset).toBe(0n);
    expect(await lost).toMatchObject({ code: 56 });
    state.hold = false;
    const next = log.append(namedBatch('next', 1));
    expect((await next).baseOffset).toBe(2n);
    expect(await values(log)).toEqual(['kept-0', 'kept-1', 'next-0']);
    await logs.close();
    const again = await LogManager.open(dir);
    expect(await values(again.partition('t', 0)!)).toEqual(['kept-0', 'kept-1', 'next-0']);
    await again.close();
  });

  it('takes the partition offline when the cut after two failed writes fails; a restart recovers', async () => {
    const { io, state, started } = gatedIo();
    const { logs, log } = await openLog(io);
    await log.append(namedBatch('a', 2));
    state.hold = true;
    state.truncateFails = true;
    const lost1 = log.append(namedBatch('torn', 20, { pad: 50 })).catch((e: unknown) => e);
    const lost2 = log.append(namedBatch('landed', 20, { pad: 50 })).catch((e: unknown) => e);
    const [w1, w2] = await started(2);
    w2!.release('ok');
    w1!.release('torn');
    expect(await lost1).toMatchObject({ code: 56 });
    expect(await lost2).toMatchObject({ code: 56 });
    state.hold = false;
    await expect(log.append(namedBatch('refused', 1))).rejects.toThrow(/offline/);
    expect(await values(log)).toEqual(['a-0', 'a-1']);
    await logs.abandon();
    const again = await LogManager.open(dir);
    const recovered = again.partition('t', 0)!;
    expect(recovered.loadStats.truncatedBytes).toBeGreaterThan(0);
    expect(await values(recovered)).toEqual(['a-0', 'a-1']);
    expect((await recovered.append(namedBatch('c', 1))).baseOffset).toBe(2n);
    await again.close();
  });

  it('rolls segments, indexes and reads back many concurrent appends in order, before and after a restart', async () => {
    const { io } = gatedIo();
    const { logs, log } = await openLog(io, { segmentBytes: 4096, indexIntervalBytes: 0, maxIndexBytes: 80 });
    const appends = Array.from({ length: 120 }, (_, i) => log.append(namedBatch(`m${i}`, 1 + (i % 3), { pad: 20 })));
    const results = await Promise.all(appends);
    let next = 0n;
    for (const [i, r] of results.entries()) {
      expect(r.baseOffset).toBe(next);
      next += BigInt(1 + (i % 3));
    }
    expect(log.segmentCount).toBeGreaterThan(3);
    const expected = Array.from({ length: 120 }, (_, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => `m${i}-${j}${'.'.repeat(20)}`)).flat();
    expect(await values(log)).toEqual(expected);
    // Each segment starts exactly at an append's first offset (a roll waited for the writes in flight).
    const starts = new Set(results.map((r) => r.baseOffset));
    for (const base of log.segmentBaseOffsets()) expect(starts.has(base)).toBe(true);
    // Every offset is found through the segment list and the indexes, not only by a scan from the start.
    for (let offset = 0n; offset < next; offset++) {
      const found = decodeAll((await log.read(offset, 1)).records).map(([o]) => o);
      expect(found).toContain(offset);
    }
    await logs.abandon();
    const again = await LogManager.open(dir, { segmentBytes: 4096, indexIntervalBytes: 0, maxIndexBytes: 80 });
    expect(again.partition('t', 0)!.loadStats.truncatedBytes).toBe(0);
    expect(await values(again.partition('t', 0)!)).toEqual(expected);
    await again.close();
  });
});
