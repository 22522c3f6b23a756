/** The framed metadata log (catalog, committed offsets, producer ids): torn tails and failed appends. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FramedLog } from '../../src/broker/framed-log.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-framed-'));
  dirs.push(dir);
  return path.join(dir, 'meta.log');
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('FramedLog', () => {
  it('reads back what was appended and truncates a torn tail', async () => {
    const file = tempFile();
    const { log } = FramedLog.open(file);
    await log.append([Buffer.from('one'), Buffer.from('two')]);
    await log.close();
    fs.appendFileSync(file, Buffer.from([0, 0, 0, 9, 1, 2])); // half a frame header, as a crash leaves it
    const reopened = FramedLog.open(file);
    expect(reopened.payloads.map(String)).toEqual(['one', 'two']);
    expect(reopened.truncatedBytes).toBe(6);
    await reopened.log.close();
  });

  it('cuts off a failed append, so frames appended after it survive a reopen', async () => {
    const file = tempFile();
    const { log } = FramedLog.open(file);
    await log.append(Buffer.from('before'));
    const realWrite = fs.write;
    // The disk fills halfway through the next frame: some bytes land, then ENOSPC.
    const spy = vi.spyOn(fs, 'write').mockImplementationOnce(((fd: number, buf: Buffer, offset: number, length: number, position: null, cb: (err: Error | null, n?: number) => void) => {
      realWrite(fd, buf, offset, Math.floor(length / 2), position, () => cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })));
    }) as unknown as typeof fs.write);
    await expect(log.append(Buffer.from('lost in the full disk'))).rejects.toThrow(/ENOSPC/);
    spy.mockRestore();
    await log.append(Buffer.from('after'));
    await log.close();
    const reopened = FramedLog.open(file);
    expect(reopened.payloads.map(String)).toEqual(['before', 'after']);
    expect(reopened.truncatedBytes).toBe(0);
    await reopened.log.close();
  });

  it('writes a burst of appends with a few writes and fsyncs, not one each, in order', async () => {
    const file = tempFile();
    const { log } = FramedLog.open(file, { fsync: true });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(Buffer.from(`entry ${i}`))));
    // The first append starts a write; the 199 made meanwhile share the next one.
    expect(log.stats.syncs).toBeLessThanOrEqual(3);
    expect(log.stats.writes).toBeLessThanOrEqual(3);
    await log.close();
    expect(FramedLog.open(file).payloads.map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `entry ${i}`));
  });

  it('compacts in its queue: appends before a rewrite are replaced by its snapshot, appends after it follow it', async () => {
    const file = tempFile();
    const { log } = FramedLog.open(file);
    const state: string[] = [];
    const add = (v: string): Promise<void> => {
      state.push(v);
      return log.append(Buffer.from(v));
    };
    const writes = [add('a'), add('b')];
    const rewritten = log.rewrite(() => [Buffer.from(state.join('+'))]);
    writes.push(add('c'));
    await Promise.all([...writes, rewritten]);
    await log.close();
    // The snapshot is taken when the rewrite runs (after 'c' was added in memory), so 'c' appears in it too:
    // replaying set-like entries twice is harmless, losing one is not.
    expect(FramedLog.open(file).payloads.map(String)).toEqual(['a+b+c', 'c']);
  });
});
