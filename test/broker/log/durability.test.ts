import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogManager } from '../../../src/broker/log/log-manager.js';
import { nodeStorageIo, type StorageIo } from '../../../src/broker/log/storage-io.js';
import { namedBatch, readAll, removeDir, tempDir } from './helpers.js';
import { until } from '../../until.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

function countingIo(): { io: StorageIo; syncs: () => number } {
  let syncs = 0;
  return {
    io: {
      ...nodeStorageIo,
      async sync(fh) {
        syncs++;
        await nodeStorageIo.sync(fh);
      },
    },
    syncs: () => syncs,
  };
}

/** The partition's checkpoint; a new partition has none until it changes, which reads as zeros. */
const state = (): { recoveryPoint: string } => {
  const file = path.join(dir, 't-0', 'partition-state.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { recoveryPoint: '0' };
};

describe('fsync policy', () => {
  it('always: every append is fsynced before it resolves', async () => {
    const { io, syncs } = countingIo();
    const logs = await LogManager.open(dir, { fsync: 'always' }, { io });
    await logs.createTopic('t', 1);
    const before = syncs();
    for (let i = 0; i < 5; i++) await logs.partition('t', 0)!.append(namedBatch('a', 1));
    expect(syncs() - before).toBe(5);
    await logs.close();
  });

  it('never: no fsync while appending, one when a segment rolls and on close', async () => {
    const { io, syncs } = countingIo();
    const logs = await LogManager.open(dir, { fsync: 'never', segmentBytes: 1024 }, { io });
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    for (let i = 0; i < 5; i++) await log.append(namedBatch('a', 1));
    expect(syncs()).toBe(0);
    for (let i = 0; i < 20; i++) await log.append(namedBatch('b', 2, { pad: 40 }));
    await log.flush(); // waits for the background seals of rolled segments
    const rolled = log.segmentCount - 1;
    expect(rolled).toBeGreaterThan(0);
    expect(syncs()).toBeGreaterThanOrEqual(rolled);
    await logs.close();
  });

  it('interval: a housekeeping timer flushes and advances the recovery point', async () => {
    const logs = await LogManager.open(dir, { fsync: 'interval', flushIntervalMs: 30 });
    await logs.createTopic('t', 1);
    await logs.partition('t', 0)!.append(namedBatch('i', 4));
    expect(state().recoveryPoint).toBe('0');
    await until(() => state().recoveryPoint === '4', 'the housekeeping timer to move the recovery point to 4');
    await logs.close();
  });
});

describe('bounded resources', () => {
  it('serves many segments through few open files and a tiny index budget', async () => {
    const opts = { maxOpenFiles: 2, indexCacheBytes: 64 };
    const logs = await LogManager.open(dir, { segmentBytes: 512, indexIntervalBytes: 64 }, opts);
    await logs.createTopic('t', 1);
    const log = logs.partition('t', 0)!;
    for (let i = 0; i < 60; i++) await log.append(namedBatch(`h${i}`, 2, { pad: 20 }));
    expect(log.segmentCount).toBeGreaterThan(10);
    const expected = await readAll(log, 0n, 200);
    expect(expected).toHaveLength(120);
    // random access, twice around, so evicted handles and indexes come back
    for (let round = 0; round < 2; round++) {
      for (let o = 119n; o >= 0n; o -= 5n) {
        const { records } = await log.read(o, 1);
        expect(records).not.toBeNull();
      }
    }
    await logs.close();
    const again = await LogManager.open(dir, { segmentBytes: 512, indexIntervalBytes: 64 }, opts);
    expect(await readAll(again.partition('t', 0)!, 0n, 200)).toEqual(expected);
    await again.close();
  });
});
