import { describe, expect, it } from 'vitest';
import { SocketFramer, UPFRONT_FRAME_BYTES } from '../../src/broker/socket-framer.js';

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

/** Simulates a socket: each read fills at most `piece` bytes of whatever target the framer chose. */
function feed(f: SocketFramer, stream: Buffer, piece: number, onRead: () => void): void {
  let pos = 0;
  while (pos < stream.length) {
    const target = f.readTarget();
    if (target.length === 0) throw new Error('an empty read target');
    const n = Math.min(piece, target.length, stream.length - pos);
    stream.copy(target, 0, pos, pos + n);
    f.landed(n, target);
    pos += n;
    onRead();
  }
}

/** Same frames, byte for byte (toEqual on large Buffers is slow). */
function expectFrames(got: Buffer[], want: Buffer[]): void {
  expect(got.map((b) => b.length)).toEqual(want.map((b) => b.length));
  got.forEach((b, i) => expect(b.equals(want[i]!)).toBe(true));
}

function takeAll(f: SocketFramer, out: Buffer[]): void {
  for (;;) {
    const x = f.next();
    if (x === null) return;
    if (!Buffer.isBuffer(x)) throw new Error(`problem ${JSON.stringify(x)}`);
    out.push(Buffer.from(x));
  }
}

describe('SocketFramer', () => {
  const bodies = [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(300_000, 7), Buffer.from('x'), Buffer.alloc(20_000, 3), Buffer.alloc(70_000, 9)];
  const stream = Buffer.concat(bodies.map(frame));

  it('splits frames arriving in arbitrary pieces, in order, whatever the read size', () => {
    for (const piece of [3, 4, 5, 17, 4096, 65536, 1 << 20]) {
      const f = new SocketFramer(1 << 20);
      const got: Buffer[] = [];
      feed(f, stream, piece, () => takeAll(f, got));
      expectFrames(got, bodies);
      expect(f.pendingBytes).toBe(0);
      expect(f.midFrame).toBe(false);
    }
  });

  it('keeps bytes that arrive while frames are not taken (dispatch paused), and hands them out later', () => {
    for (const piece of [7, 1000, 65536]) {
      const f = new SocketFramer(1 << 20);
      const got: Buffer[] = [];
      let reads = 0;
      // Take frames only on every fifth read: staging must hold (or grow for) what waits meanwhile.
      feed(f, stream, piece, () => {
        if (++reads % 5 === 0) takeAll(f, got);
      });
      takeAll(f, got);
      expectFrames(got, bodies);
    }
  });

  it('reads the body of a large frame straight into its own buffer', () => {
    const allocated: Buffer[] = [];
    const f = new SocketFramer(1 << 20, (n) => {
      const b = Buffer.alloc(n);
      allocated.push(b);
      return b;
    });
    const body = Buffer.alloc(200_000, 5);
    const bytes = frame(body);
    let pos = 0;
    const first = f.readTarget();
    bytes.copy(first, 0, 0, 1000);
    f.landed(1000, first);
    pos = 1000;
    expect(f.next()).toBeNull();
    expect(allocated).toHaveLength(1);
    const direct = f.readTarget();
    expect(direct.buffer).toBe(allocated[0]!.buffer);
    expect(direct.length).toBe(200_000 - 996);
    bytes.copy(direct, 0, pos);
    f.landed(bytes.length - pos, direct);
    const got = f.next();
    expect(got).toBe(allocated[0]);
    expect((got as Buffer).equals(body)).toBe(true);
  });

  it('refuses an oversized or negative size before allocating anything', () => {
    let allocations = 0;
    const alloc = (n: number): Buffer => {
      allocations++;
      return Buffer.alloc(n);
    };
    const big = new SocketFramer(1000, alloc);
    const t = big.readTarget();
    new DataView(t.buffer, t.byteOffset, t.byteLength).setInt32(0, 1001);
    big.landed(4, t);
    expect(big.next()).toEqual({ kind: 'too-large', size: 1001, limit: 1000 });
    const neg = new SocketFramer(1000, alloc);
    const t2 = neg.readTarget();
    new DataView(t2.buffer, t2.byteOffset, t2.byteLength).setInt32(0, -5);
    neg.landed(4, t2);
    expect(neg.next()).toEqual({ kind: 'negative-size', size: -5 });
    expect(allocations).toBe(0);
  });

  it('reports a half-sent frame, and push() copies chunks in for sockets without onread', () => {
    const f = new SocketFramer(1 << 20);
    f.push(stream.subarray(0, 13));
    const got: Buffer[] = [];
    takeAll(f, got);
    expectFrames(got, [bodies[0]!, bodies[1]!]);
    f.push(stream.subarray(13, 1000));
    takeAll(f, got);
    expect(f.midFrame).toBe(true);
    f.push(stream.subarray(1000));
    takeAll(f, got);
    expectFrames(got, bodies);
    expect(f.midFrame).toBe(false);
  });
});

describe('SocketFramer memory', () => {
  it('gives a large frame memory as its bytes arrive: at most 2 MiB, or twice what arrived, at any time', () => {
    let live = 0;
    let peak = 0;
    const sizes: number[] = [];
    const f = new SocketFramer(64 << 20, {
      acquire: (n) => {
        live += n;
        peak = Math.max(peak, live);
        sizes.push(n);
        return Buffer.alloc(n);
      },
      release: (b) => (live -= b.length),
    });
    const body = Buffer.alloc(10_000_000);
    for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
    const bytes = frame(body);
    let got: Buffer | null = null;
    feed(f, bytes, 300_000, () => {
      const arrived = f.pendingBytes;
      // What the frame holds stays within max(2 MiB, 2 × arrived) (+ the staging buffer, not counted here).
      expect(live).toBeLessThanOrEqual(Math.max(UPFRONT_FRAME_BYTES, 2 * arrived));
      const x = f.next();
      if (x !== null) got = x as Buffer;
    });
    expect(got).not.toBeNull();
    expect(got!.equals(body)).toBe(true);
    expect(sizes[0]).toBe(UPFRONT_FRAME_BYTES); // not 10 MB on the word of the prefix
    expect(sizes.at(-1)).toBe(10_000_000);
    expect(live).toBe(10_000_000); // outgrown buffers were given back
  });

  it('a claimed size followed by nothing holds 2 MiB, not the claim; discard gives it back', () => {
    let live = 0;
    const f = new SocketFramer(100 << 20, { acquire: (n) => ((live += n), Buffer.alloc(n)), release: (b) => (live -= b.length) });
    const t = f.readTarget();
    const head = Buffer.alloc(20_004);
    head.writeInt32BE(100 << 20, 0);
    head.copy(t);
    f.landed(head.length, t);
    expect(f.next()).toBeNull();
    expect(live).toBe(UPFRONT_FRAME_BYTES);
    expect(f.midFrame).toBe(true);
    f.discard();
    expect(live).toBe(0);
  });
});
