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
  it('reads back what was appended and truncates a torn tail', () => {
    const file = tempFile();
    const { log } = FramedLog.open(file);
    log.append(Buffer.from('one'), Buffer.from('two'));
    log.close();
    fs.appendFileSync(file, Buffer.from([0, 0, 0, 9, 1, 2])); // half a frame header, as a crash leaves it
    const reopened = FramedLog.open(file);
    expect(reopened.payloads.map(String)).toEqual(['one', 'two']);
    expect(reopened.truncatedBytes).toBe(6);
    reopened.log.close();
  });

  it('cuts off a failed append, so frames appended after it survive a reopen', () => {
    const file = tempFile();
    const { log } = FramedLog.open(file);
    log.append(Buffer.from('before'));
    const realWrite = fs.writeSync;
    // The disk fills halfway through the next frame: some bytes land, then ENOSPC.
    const spy = vi.spyOn(fs, 'writeSync').mockImplementationOnce(((fd: number, buf: NodeJS.ArrayBufferView, offset: number, length: number) => {
      realWrite(fd, buf, offset, Math.floor(length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }) as unknown as typeof fs.writeSync);
    expect(() => log.append(Buffer.from('lost in the full disk'))).toThrow(/ENOSPC/);
    spy.mockRestore();
    log.append(Buffer.from('after'));
    log.close();
    const reopened = FramedLog.open(file);
    expect(reopened.payloads.map(String)).toEqual(['before', 'after']);
    expect(reopened.truncatedBytes).toBe(0);
    reopened.log.close();
  });
});
