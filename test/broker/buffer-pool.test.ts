/** The broker's one buffer pool (buffer-pool.ts): lending, giving back once, bounds, and moving memory. */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BufferPool } from '../../src/broker/buffer-pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('BufferPool', () => {
  it('reuses a given-back block for the next request of its size class', () => {
    const pool = new BufferPool();
    const a = pool.acquire(1_000_000);
    expect(a.length).toBe(1_000_000);
    expect(a.buffer.byteLength).toBe(MiB);
    pool.release(a);
    expect(pool.bytesPooled).toBe(MiB);
    const b = pool.acquire(900_000);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.bytesPooled).toBe(0);
  });

  it('takes back only what it lent, once, through any view of it', () => {
    const pool = new BufferPool({ minPooled: 64 * KiB, maxPooled: 4 * MiB, maxFreeBytes: 16 * MiB });
    const a = pool.acquire(300_000);
    expect(pool.isLent(a.subarray(10, 20))).toBe(true);
    pool.release(a.subarray(5));
    expect(pool.isLent(a)).toBe(false);
    expect(pool.bytesPooled).toBe(512 * KiB);
    pool.release(a); // a second release is ignored (the block may already be lent again)
    expect(pool.bytesPooled).toBe(512 * KiB);
    pool.release(Buffer.alloc(300_000)); // not ours
    expect(pool.bytesPooled).toBe(512 * KiB);
  });

  it('allocates small and huge requests plainly and never keeps them', () => {
    const pool = new BufferPool({ minPooled: 16 * KiB, maxPooled: 4 * MiB });
    const small = pool.acquire(1000);
    const huge = pool.acquire(8 * MiB);
    expect(pool.isLent(small)).toBe(false);
    expect(pool.isLent(huge)).toBe(false);
    pool.release(small);
    pool.release(huge);
    expect(pool.bytesPooled).toBe(0);
  });

  it('keeps at most maxFreeBytes on its free lists', () => {
    const pool = new BufferPool({ maxFreeBytes: 2 * MiB });
    const blocks = [pool.acquire(MiB), pool.acquire(MiB), pool.acquire(MiB)];
    for (const b of blocks) pool.release(b);
    expect(pool.bytesPooled).toBe(2 * MiB);
  });

  it('never lends one block twice at once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3 * MiB })), { maxLength: 60 }), (ops) => {
        const pool = new BufferPool({ minPooled: 16 * KiB, maxPooled: 2 * MiB, maxFreeBytes: 8 * MiB });
        const out: Buffer[] = [];
        for (const [give, n] of ops) {
          if (give && out.length > 0) pool.release(out.shift()!);
          else {
            const b = pool.acquire(n);
            expect(b.length).toBe(n);
            for (const o of out) if (pool.isLent(b)) expect(o.buffer).not.toBe(b.buffer);
            out.push(b);
          }
          expect(pool.bytesPooled).toBeLessThanOrEqual(8 * MiB);
        }
      }),
    );
  });

  describe('movable', () => {
    it('gives every buffer its own memory, even small ones, so it can move to another thread', () => {
      const pool = new BufferPool({ movable: true, minPooled: 64 * KiB });
      const small = pool.acquire(100);
      expect(small.buffer.byteLength).toBe(64 * KiB);
      expect(small.byteOffset).toBe(0);
      const huge = pool.acquire(40 * MiB); // above maxPooled: still its own memory, just not kept
      expect(huge.buffer.byteLength).toBe(40 * MiB);
      expect(pool.isLent(huge)).toBe(true);
    });

    it('hands a block over for transfer and adopts it back when the other thread returns it', async () => {
      const pool = new BufferPool({ movable: true, minPooled: 64 * KiB });
      const read = pool.acquire(200_000);
      read.fill(7);
      const { bytes, transfer } = pool.handOver(read.subarray(0, 150_000));
      expect(pool.isLent(read)).toBe(false); // given up: this thread must not reuse it
      expect(bytes.length).toBe(150_000);
      const { port1, port2 } = new MessageChannel();
      const arrived = new Promise<ArrayBuffer>((resolve) => port2.once('message', (m: { buffer: ArrayBuffer }) => resolve(m.buffer)));
      port1.postMessage(bytes, transfer);
      const moved = await arrived;
      expect(read.buffer.byteLength).toBe(0); // detached here: the memory moved
      expect(new Uint8Array(moved, bytes.byteOffset, bytes.length).every((x) => x === 7)).toBe(true);
      pool.adopt(moved);
      expect(pool.bytesPooled).toBe(256 * KiB);
      expect(pool.acquire(250_000).buffer).toBe(moved);
      port1.close();
      port2.close();
    });

    it('copies bytes it did not lend before handing them over (the original stays readable)', () => {
      const pool = new BufferPool({ movable: true, minPooled: 64 * KiB });
      const cached = Buffer.from('tail of the log');
      const { bytes, transfer } = pool.handOver(cached);
      expect(transfer[0]).not.toBe(cached.buffer);
      expect(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString()).toBe('tail of the log');
      expect(cached.toString()).toBe('tail of the log');
    });

    it('a pool that is not movable refuses to hand over', () => {
      expect(() => new BufferPool().handOver(Buffer.alloc(10))).toThrow(/movable/);
    });
  });
});
