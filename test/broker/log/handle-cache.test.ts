import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandleCache } from '../../../src/broker/log/handle-cache.js';
import { removeDir, tempDir } from './helpers.js';
import { until } from '../../until.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

describe('HandleCache', () => {
  it('keeps at most maxOpen handles and closes evicted ones only after their readers release them', async () => {
    const files = Array.from({ length: 5 }, (_, i) => {
      const f = path.join(dir, `f${i}`);
      fs.writeFileSync(f, `file ${i}`);
      return f;
    });
    const cache = new HandleCache(2);
    const held = await cache.acquire(files[0]!);
    for (const f of files.slice(1)) (await cache.acquire(f)).release();
    expect(cache.size).toBe(2);
    // f0 was evicted while borrowed: still readable until released
    const buf = Buffer.alloc(6);
    await held.fh.read(buf, 0, 6, 0);
    expect(buf.toString()).toBe('file 0');
    held.release();
    // Closing is asynchronous: wait for the handle to refuse reads.
    await until(() => held.fh.read(buf, 0, 6, 0).then(() => false, () => true), 'the released, evicted handle to be closed');
    // reuse: the same handle comes back for a cached path
    const a = await cache.acquire(files[4]!);
    const b = await cache.acquire(files[4]!);
    expect(a.fh).toBe(b.fh);
    a.release();
    b.release();
    cache.invalidate(files[4]!);
    expect(cache.size).toBe(1);
    await cache.close();
    expect(cache.size).toBe(0);
  });
});
