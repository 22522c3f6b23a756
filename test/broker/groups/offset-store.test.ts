import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FramedLog } from '../../../src/broker/framed-log.js';
import { OFFSETS_FILE, OffsetStore } from '../../../src/broker/groups/offset-store.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const o = (partition: number, offset: bigint, metadata: string | null = null) => ({ topic: 't', partition, offset, leaderEpoch: 2, metadata });

describe('FramedLog', async () => {
  it('reads back what it wrote and truncates at the first bad frame', async () => {
    const file = path.join(dir, 'x.log');
    const { log } = FramedLog.open(file);
    await log.append([Buffer.from('one'), Buffer.from('two')]);
    await log.append(Buffer.from('three'));
    await log.close();
    const good = fs.statSync(file).size;
    // Corrupt the CRC of the last frame's payload and add half a frame of garbage.
    const data = fs.readFileSync(file);
    data[data.length - 1] = data[data.length - 1]! ^ 0xff;
    fs.writeFileSync(file, Buffer.concat([data, Buffer.from([0, 0, 0])]));
    const loaded = FramedLog.open(file);
    expect(loaded.payloads.map((p) => p.toString())).toEqual(['one', 'two']);
    expect(loaded.truncatedBytes).toBe(good - (8 + 3) * 2 + 3);
    expect(fs.statSync(file).size).toBe((8 + 3) * 2);
    await loaded.log.append(Buffer.from('four'));
    await loaded.log.close();
    expect(FramedLog.open(file).payloads.map((p) => p.toString())).toEqual(['one', 'two', 'four']);
  });

  it('survives a length field that points past the end', async () => {
    const file = path.join(dir, 'x.log');
    const { log } = FramedLog.open(file);
    await log.append(Buffer.from('ok'));
    await log.close();
    const bogus = Buffer.alloc(8);
    bogus.writeInt32BE(1 << 30, 0);
    fs.appendFileSync(file, bogus);
    expect(FramedLog.open(file).payloads.map((p) => p.toString())).toEqual(['ok']);
  });
});

describe('OffsetStore', async () => {
  it('keeps the latest commit per partition with metadata and leader epoch, across reopen', async () => {
    const { store } = OffsetStore.open(dir);
    store.commit('g', [o(0, 1n, 'a'), o(1, 10n)], 1000);
    store.commit('g', [o(0, 2n, 'b')], 2000);
    store.commit('h', [o(0, 7n)], 3000);
    await store.close();
    const { store: again, truncatedBytes } = OffsetStore.open(dir);
    expect(truncatedBytes).toBe(0);
    expect(again.get('g', 't', 0)).toEqual({ offset: 2n, leaderEpoch: 2, metadata: 'b', commitTimestamp: 2000 });
    expect(again.get('g', 't', 1)?.offset).toBe(10n);
    expect(again.get('h', 't', 0)?.offset).toBe(7n);
    expect([...again.groupIds()].sort()).toEqual(['g', 'h']);
    await again.close();
  });

  it('compacts on open to one entry per live partition', async () => {
    const { store } = OffsetStore.open(dir);
    for (let i = 0; i < 1000; i++) store.commit('g', [o(0, BigInt(i))]);
    await store.close();
    const before = fs.statSync(path.join(dir, OFFSETS_FILE)).size;
    const { store: again } = OffsetStore.open(dir);
    expect(again.sizeBytes).toBeLessThan(before / 100);
    expect(again.get('g', 't', 0)?.offset).toBe(999n);
    await again.close();
  });

  it('forgets deleted groups, offsets and topics durably', async () => {
    const { store } = OffsetStore.open(dir);
    store.commit('g', [o(0, 1n), o(1, 1n)]);
    store.commit('h', [o(0, 1n)]);
    store.commit('k', [{ topic: 'other', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null }]);
    store.deleteOffsets('g', [{ topic: 't', partition: 1 }]);
    store.deleteGroup('h');
    store.deleteTopic('other');
    store.markEmptied('g', 1234);
    await store.close();
    const { store: again } = OffsetStore.open(dir);
    expect(again.get('g', 't', 0)?.offset).toBe(1n);
    expect(again.get('g', 't', 1)).toBeUndefined();
    expect(again.hasOffsets('h')).toBe(false);
    expect(again.hasOffsets('k')).toBe(false);
    expect(again.emptiedAt('g')).toBe(1234);
    await again.close();
  });

  it('loses only the torn last commit when the file is cut mid-frame', async () => {
    const { store } = OffsetStore.open(dir);
    store.commit('g', [o(0, 1n)]);
    store.commit('g', [o(0, 2n)]);
    await store.close();
    const file = path.join(dir, OFFSETS_FILE);
    fs.truncateSync(file, fs.statSync(file).size - 5);
    const { store: again, truncatedBytes } = OffsetStore.open(dir);
    expect(truncatedBytes).toBeGreaterThan(0);
    expect(again.get('g', 't', 0)?.offset).toBe(1n);
    await again.close();
  });
});
