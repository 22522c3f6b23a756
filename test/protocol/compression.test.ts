import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { compressSync as snappyRaw } from 'snappy';
import { beforeAll, describe, expect, it } from 'vitest';
import { toolAvailable } from '../helpers/tools.js';
import {
  CompressionCodec,
  CompressionError,
  XERIAL_MAGIC,
  compress,
  decompress,
  initCompression,
  isXerialFramed,
  zstdDeclaredSize,
} from '../../src/protocol/compression/index.js';

const ids = [CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd];

beforeAll(async () => {
  await initCompression();
});

/** Deterministic data that compresses somewhat (like msgpack events), larger than one block of any codec. */
function sample(size: number): Buffer {
  const buf = Buffer.alloc(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = i % 7 === 0 ? x >>> 24 : (i / 13) & 0xff;
  }
  return buf;
}

describe('compression codecs', () => {
  it('property: every codec round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.constantFrom(...ids), fc.constantFrom('raw' as const, 'xerial' as const), (a, id, snappyFraming) => {
        const data = Buffer.from(a);
        expect(decompress(id, compress(id, data, { snappyFraming })).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('every codec round-trips 3 MiB across many blocks', () => {
    const data = sample(3 << 20);
    for (const id of ids) expect(decompress(id, compress(id, data)).equals(data), String(id)).toBe(true);
  });

  it('garbage fails with CompressionError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom(...ids), (a, id) => {
        try {
          decompress(id, Buffer.from(a));
        } catch (e) {
          expect(e).toBeInstanceOf(CompressionError);
        }
      }),
      { numRuns: 300 },
    );
    expect(() => decompress(9, Buffer.alloc(1))).toThrow(CompressionError);
  });
});

describe('snappy framing', () => {
  it('writes xerial framing on request: magic, version 1/1, int32-length blocks of <= 32 KiB input', () => {
    const data = sample(100_000);
    const framed = compress(CompressionCodec.snappy, data, { snappyFraming: 'xerial' });
    expect(framed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(framed.readInt32BE(8)).toBe(1);
    expect(framed.readInt32BE(12)).toBe(1);
    let pos = 16;
    let blocks = 0;
    while (pos < framed.length) {
      pos += 4 + framed.readInt32BE(pos);
      blocks++;
    }
    expect(pos).toBe(framed.length);
    expect(blocks).toBe(Math.ceil(100_000 / 32768));
    expect(isXerialFramed(compress(CompressionCodec.snappy, data))).toBe(false);
  });

  it('reads xerial frames built independently with snappy-java\'s layout', () => {
    const a = sample(40_000);
    const b = Buffer.from('second block');
    const blockA = snappyRaw(a);
    const blockB = snappyRaw(b);
    const header = Buffer.alloc(16);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, 8);
    header.writeInt32BE(1, 12);
    const len = (n: number) => {
      const l = Buffer.alloc(4);
      l.writeInt32BE(n);
      return l;
    };
    const framed = Buffer.concat([header, len(blockA.length), blockA, len(blockB.length), blockB]);
    expect(decompress(CompressionCodec.snappy, framed).equals(Buffer.concat([a, b]))).toBe(true);
    // A block length past the end is corrupt, not a RangeError.
    const bad = Buffer.concat([header, len(1_000_000), blockA]);
    expect(() => decompress(CompressionCodec.snappy, bad)).toThrow(CompressionError);
  });

  it('refuses a raw block that declares more than the limit before inflating it', () => {
    const block = snappyRaw(Buffer.alloc(2 << 20));
    expect(() => decompress(CompressionCodec.snappy, block, { maxDecompressedBytes: 1 << 20 })).toThrow(/limit/);
  });
});

describe('lz4 frame', () => {
  it('writes a standard frame with independent blocks and no content size, as Kafka expects', () => {
    const framed = compress(CompressionCodec.lz4, sample(300_000));
    expect(framed.readUInt32LE(0)).toBe(0x184d2204);
    const flg = framed[4]!;
    expect(flg >> 6).toBe(1); // version 01
    expect(flg & 0x20).toBe(0x20); // block independence
    expect(flg & 0x08).toBe(0); // no content size
  });

  it.skipIf(!toolAvailable('lz4'))('interoperates with the lz4 command-line tool (reference liblz4)', () => {
    const data = sample(500_000);
    for (const flags of [['-c'], ['-c', '-BD'], ['-c', '-B4', '--content-size'], ['-c', '-BX']]) {
      const theirs = execFileSync('lz4', [...flags, '-'], { input: data, maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', 'ignore'] });
      expect(decompress(CompressionCodec.lz4, theirs).equals(data), flags.join(' ')).toBe(true);
    }
    const ours = compress(CompressionCodec.lz4, data);
    expect(execFileSync('lz4', ['-d', '-c', '-'], { input: ours, maxBuffer: 64 << 20 }).equals(data)).toBe(true);
  });
});

describe('zstd', () => {
  it('declared content size is read from the frame header', () => {
    const framed = compress(CompressionCodec.zstd, sample(70_000));
    expect(zstdDeclaredSize(framed)).toBe(70_000);
    expect(() => zstdDeclaredSize(Buffer.from('nope, not zstd'))).toThrow(CompressionError);
  });

  it.skipIf(!toolAvailable('zstd'))('interoperates with the zstd tool, including streamed frames without a content size', () => {
    const data = sample(3 << 20);
    // From a pipe the size is unknown, so the frame has no Frame_Content_Size (as zstd-jni streams write).
    const streamed = execFileSync('sh', ['-c', 'cat | zstd -q -c'], { input: data, maxBuffer: 64 << 20 });
    expect(zstdDeclaredSize(streamed)).toBeUndefined();
    expect(decompress(CompressionCodec.zstd, streamed).equals(data)).toBe(true);
    expect(() => decompress(CompressionCodec.zstd, streamed, { maxDecompressedBytes: 1 << 20 })).toThrow(/limit/);
    // Damage is reported at once, not retried with ever larger buffers.
    const damaged = Buffer.from(streamed);
    damaged[20] = damaged[20]! ^ 0xff;
    damaged[30] = damaged[30]! ^ 0x55;
    expect(() => decompress(CompressionCodec.zstd, damaged)).toThrow(expect.objectContaining({ tooLarge: false }));
    expect(() => decompress(CompressionCodec.zstd, streamed.subarray(0, streamed.length - 3))).toThrow(CompressionError);
    const ours = compress(CompressionCodec.zstd, data);
    expect(execFileSync('zstd', ['-d', '-q', '-c'], { input: ours, maxBuffer: 64 << 20 }).equals(data)).toBe(true);
  });
});

describe('gzip', () => {
  it.skipIf(!toolAvailable('gzip'))('reads what the gzip tool writes and the reverse', () => {
    const data = sample(200_000);
    const theirs = execFileSync('gzip', ['-c'], { input: data, maxBuffer: 64 << 20 });
    expect(decompress(CompressionCodec.gzip, theirs).equals(data)).toBe(true);
    const ours = compress(CompressionCodec.gzip, data);
    expect(execFileSync('gzip', ['-d', '-c'], { input: ours, maxBuffer: 64 << 20 }).equals(data)).toBe(true);
  });
});
