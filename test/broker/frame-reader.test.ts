import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/broker/frame-reader.js';

function drain(r: FrameReader, chunk: Buffer, onFrame: (f: Buffer) => boolean | void): ReturnType<FrameReader['next']> {
  r.append(chunk);
  for (;;) {
    const f = r.next();
    if (f === null || !Buffer.isBuffer(f)) return f;
    if (onFrame(f) === false) return null;
  }
}

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

describe('FrameReader', () => {
  it('splits frames arriving in arbitrary pieces, in order', () => {
    const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(10_000, 7), Buffer.from('x')];
    const stream = Buffer.concat(bodies.map(frame));
    for (const piece of [1, 3, 4, 5, 17, 4096, stream.length]) {
      const r = new FrameReader(1 << 20);
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += piece) {
        expect(drain(r, stream.subarray(i, i + piece), (f) => void got.push(Buffer.from(f)))).toBeNull();
      }
      expect(got).toEqual(bodies);
      expect(r.pendingBytes).toBe(0);
    }
  });

  it('returns a zero-copy view when the frame sits in one chunk', () => {
    const chunk = frame(Buffer.from('abcdef'));
    const r = new FrameReader(100);
    let seen: Buffer | undefined;
    drain(r, chunk, (f) => void (seen = f));
    expect(seen?.buffer).toBe(chunk.buffer);
  });

  it('rejects sizes above the limit or negative before buffering the body', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(1001, 0);
    expect(drain(new FrameReader(1000), big, () => {})).toEqual({ kind: 'too-large', size: 1001, limit: 1000 });
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-5, 0);
    expect(drain(new FrameReader(1000), neg, () => {})).toEqual({ kind: 'negative-size', size: -5 });
  });

  it('reports pending bytes of a half-sent frame', () => {
    const r = new FrameReader(100);
    drain(r, frame(Buffer.alloc(50)).subarray(0, 20), () => {});
    expect(r.pendingBytes).toBe(16);
    expect(r.midFrame).toBe(true);
  });

  it('keeps frames not taken yet buffered', () => {
    const r = new FrameReader(100);
    const got: string[] = [];
    drain(r, Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))]), (f) => {
      got.push(f.toString());
      return false;
    });
    expect(got).toEqual(['a']);
    expect(r.midFrame).toBe(false); // a whole frame waits: not a stalled peer
    expect(r.next()).toEqual(Buffer.from('b'));
  });
});
