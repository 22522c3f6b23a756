import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/broker/frame-pool.js';

describe('FramePool', () => {
  it('reuses released buffers of the same size class', () => {
    const pool = new FramePool();
    const a = pool.acquire(1_000_000);
    expect(a.length).toBe(1_000_000);
    pool.release(a);
    const b = pool.acquire(900_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.bytesPooled).toBe(0);
  });

  it('never takes back memory it did not allocate, nor small or huge frames', () => {
    const pool = new FramePool(64 << 20, 4 << 20);
    pool.release(Buffer.alloc(1 << 20));
    pool.release(pool.acquire(1000)); // below the pooled minimum
    pool.release(pool.acquire(8 << 20));
    expect(pool.bytesPooled).toBe(0);
  });

  it('bounds what it keeps', () => {
    const pool = new FramePool(2 << 20);
    const frames = [pool.acquire(1 << 20), pool.acquire(1 << 20), pool.acquire(1 << 20)];
    for (const f of frames) pool.release(f);
    expect(pool.bytesPooled).toBe(2 << 20);
  });
});
