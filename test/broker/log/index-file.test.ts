/**
 * The index files on their own (src/broker/log/index-file.ts, through its two kinds, `.index` and
 * `.timeindex`), on real files: lookups agree with a linear scan before and after a persist/load round trip
 * and an unload, only new entries are written, and a missing, truncated or inconsistent file is reported so
 * that recovery rebuilds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../src/broker/log/offset-index.js';
import { TimeIndex } from '../../../src/broker/log/time-index.js';
import { removeDir, tempDir } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const BASE = 1_000n;
let files = 0;
const fresh = (ext: string) => path.join(dir, `${files++}.${ext}`);

/** Strictly increasing (relative offset, position) pairs, as appends produce them. */
const offsetEntries = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 60 })
  .map((steps) => {
    let rel = -1;
    let pos = -1;
    return steps.map(([dr, dp]) => [(rel += dr), (pos += dp)] as const);
  });

function linearLookup(entries: readonly (readonly [number, number])[], offset: bigint): { offset: bigint; position: number } {
  let found = { offset: BASE, position: 0 };
  for (const [rel, pos] of entries) if (BASE + BigInt(rel) <= offset) found = { offset: BASE + BigInt(rel), position: pos };
  return found;
}

describe('OffsetIndex', () => {
  it('lookup returns the last entry at or before the offset, as a linear scan does, also after persist, load and unload (property)', async () => {
    await fc.assert(
      fc.asyncProperty(offsetEntries, async (entries) => {
        const file = fresh('index');
        const index = new OffsetIndex(file, BASE, 1 << 20);
        index.reset();
        for (const [rel, pos] of entries) index.append(BASE + BigInt(rel), pos);
        const maxOffset = BASE + BigInt(entries.at(-1)?.[0] ?? 0) + 3n;
        const check = (ix: OffsetIndex) => {
          for (let o = BASE - 2n; o <= maxOffset; o++) expect(ix.lookup(o)).toEqual(linearLookup(entries, o));
        };
        check(index);
        await index.persist(false);
        expect(fs.statSync(file).size).toBe(entries.length * 8);
        const reloaded = new OffsetIndex(file, BASE, 1 << 20);
        expect(await reloaded.load((entries.at(-1)?.[1] ?? 0) + 1)).toBe(true);
        expect(reloaded.entryCount).toBe(entries.length);
        check(reloaded);
        expect(reloaded.unload()).toBe(true);
        expect(reloaded.residentBytes).toBe(0);
        await reloaded.ensureLoaded();
        check(reloaded);
        expect(reloaded.last()).toEqual(entries.length === 0 ? undefined : linearLookup(entries, maxOffset));
      }),
      { numRuns: 60 },
    );
  });

  it('persist writes only the entries not yet on disk, and is full at maxBytes', async () => {
    const file = fresh('index');
    const index = new OffsetIndex(file, BASE, 3 * 8);
    index.reset();
    index.append(BASE, 0);
    await index.persist(false);
    // Overwrite the persisted entry on disk: a later persist must not write it again.
    const marker = Buffer.alloc(8, 0x7e);
    fs.writeFileSync(file, marker);
    index.append(BASE + 5n, 100);
    expect(index.isPersisted).toBe(false);
    await index.persist(false);
    expect(index.isPersisted).toBe(true);
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 8)).toEqual(marker);
    expect(bytes.readInt32BE(8)).toBe(5);
    expect(bytes.readInt32BE(12)).toBe(100);
    expect(index.isFull).toBe(false);
    index.append(BASE + 6n, 200);
    expect(index.isFull).toBe(true); // a fourth entry would not fit in 24 bytes
  });

  it('cannot unload entries that are not on disk, and refuses appends while unloaded', async () => {
    const index = new OffsetIndex(fresh('index'), BASE, 1 << 20);
    index.reset();
    index.append(BASE, 0);
    expect(index.unload()).toBe(false);
    expect(index.isLoaded).toBe(true);
    await index.persist(true);
    expect(index.unload()).toBe(true);
    expect(() => index.append(BASE + 1n, 10)).toThrow(/unloaded/);
    expect(() => index.lookup(BASE)).toThrow(/unloaded/);
  });

  it('load reports a missing file, a truncated entry and inconsistent entries, so that recovery rebuilds them', async () => {
    const missing = new OffsetIndex(fresh('index'), BASE, 1 << 20);
    expect(await missing.load(1000)).toBe(false);
    expect(missing.entryCount).toBe(0);

    const write = (entries: [number, number][], extra = Buffer.alloc(0)) => {
      const file = fresh('index');
      const buf = Buffer.alloc(entries.length * 8);
      entries.forEach(([rel, pos], i) => {
        buf.writeInt32BE(rel, i * 8);
        buf.writeInt32BE(pos, i * 8 + 4);
      });
      fs.writeFileSync(file, Buffer.concat([buf, extra]));
      return new OffsetIndex(file, BASE, 1 << 20);
    };
    const good: [number, number][] = [[0, 0], [4, 300], [9, 700]];
    expect(await write(good).load(1000)).toBe(true);
    const truncated = write(good, Buffer.from([0, 0, 0])); // a torn last entry
    expect(await truncated.load(1000)).toBe(false);
    expect(truncated.entryCount).toBe(3);
    expect(await write([[0, 0], [4, 300], [4, 700]]).load(1000)).toBe(false); // offsets must grow
    expect(await write([[0, 0], [4, 300], [9, 300]]).load(1000)).toBe(false); // positions must grow
    expect(await write(good).load(700)).toBe(false); // an entry at or past the end of the log
    expect(await write(good, Buffer.alloc(8, 0xff)).load(1000)).toBe(false); // a garbage entry after good ones
  });

  it('after a reset, the next persist truncates the stale entries the file still holds', async () => {
    const file = fresh('index');
    const index = new OffsetIndex(file, BASE, 1 << 20);
    index.reset();
    for (let i = 0; i < 10; i++) index.append(BASE + BigInt(i), i * 100);
    await index.persist(false);
    index.reset();
    index.append(BASE, 0);
    index.append(BASE + 2n, 200);
    expect(index.isPersisted).toBe(false);
    await index.persist(false);
    expect(fs.statSync(file).size).toBe(16);
    const reloaded = new OffsetIndex(file, BASE, 1 << 20);
    expect(await reloaded.load(1000)).toBe(true);
    expect(reloaded.lookup(BASE + 9n)).toEqual({ offset: BASE + 2n, position: 200 });
    await reloaded.remove();
    expect(fs.existsSync(file)).toBe(false);
    expect(reloaded.entryCount).toBe(0);
  });
});

describe('TimeIndex', () => {
  it('keeps only growing timestamps, and lookupBefore is the last entry strictly older, as a linear scan finds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 20 })), { maxLength: 60 }), async (appends) => {
        const file = fresh('timeindex');
        const index = new TimeIndex(file, BASE, 1 << 20);
        index.reset();
        const kept: { timestamp: bigint; offset: bigint }[] = [];
        let offset = BASE;
        for (const [ts, step] of appends) {
          offset += BigInt(step);
          index.maybeAppend(BigInt(ts), offset);
          if (kept.length === 0 || BigInt(ts) > kept.at(-1)!.timestamp) kept.push({ timestamp: BigInt(ts), offset });
        }
        expect(index.entryCount).toBe(kept.length);
        await index.persist(false);
        const reloaded = new TimeIndex(file, BASE, 1 << 20);
        expect(await reloaded.load(0)).toBe(true);
        for (const ix of [index, reloaded]) {
          for (let t = -1; t <= 102; t++) {
            const expected = kept.filter((e) => e.timestamp < BigInt(t)).at(-1);
            expect(ix.lookupBefore(BigInt(t))).toEqual(expected);
          }
          expect(ix.last()).toEqual(kept.at(-1));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stops appending when full instead of growing past maxBytes', () => {
    const index = new TimeIndex(fresh('timeindex'), BASE, 2 * 12);
    index.reset();
    for (let i = 0; i < 5; i++) index.maybeAppend(BigInt(i * 10), BASE + BigInt(i));
    expect(index.entryCount).toBe(2);
    expect(index.residentBytes).toBeLessThanOrEqual(24);
    expect(index.last()).toEqual({ timestamp: 10n, offset: BASE + 1n });
  });

  it('load refuses timestamps that do not grow or negative offsets', async () => {
    const write = (entries: [number, number][]) => {
      const file = fresh('timeindex');
      const buf = Buffer.alloc(entries.length * 12);
      entries.forEach(([ts, rel], i) => {
        buf.writeBigInt64BE(BigInt(ts), i * 12);
        buf.writeInt32BE(rel, i * 12 + 8);
      });
      fs.writeFileSync(file, buf);
      return new TimeIndex(file, BASE, 1 << 20);
    };
    expect(await write([[5, 0], [9, 3]]).load(0)).toBe(true);
    expect(await write([[5, 0], [5, 3]]).load(0)).toBe(false);
    expect(await write([[5, 0], [9, -1]]).load(0)).toBe(false);
    expect(await write([[5, 4], [9, 2]]).load(0)).toBe(false);
  });
});
