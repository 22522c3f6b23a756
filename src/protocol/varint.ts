/**
 * Zig-zag variable-length integers as used inside Kafka records (protobuf-style base-128, least significant
 * group first; zig-zag maps signed to unsigned so small negatives stay short). Spec: "Record" in
 * https://kafka.apache.org/documentation/#record.
 *
 * These work directly on a Buffer at a position so the record encoder can write into one preallocated
 * buffer. Numbers are used where they are exact (int32 varints; varlongs up to ±2^52), bigint otherwise.
 */

/** Bytes a zig-zag varint (int32) takes. */
export function varintSize(value: number): number {
  const u = ((value << 1) ^ (value >> 31)) >>> 0;
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Writes a zig-zag varint (int32) at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let u = ((value << 1) ^ (value >> 31)) >>> 0;
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Below this magnitude a varlong's zig-zag form (2|v|) is still an exact double. */
const EXACT_VARLONG_LIMIT = 2 ** 52;

function zigzagBig(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

/** Bytes a zig-zag varlong (int64) takes. */
export function varlongSize(value: number | bigint): number {
  if (typeof value === 'number' && value > -EXACT_VARLONG_LIMIT && value < EXACT_VARLONG_LIMIT) {
    let u = value >= 0 ? value * 2 : -value * 2 - 1;
    let size = 1;
    while (u >= 128) {
      u = Math.floor(u / 128);
      size++;
    }
    return size;
  }
  let u = zigzagBig(BigInt(value));
  let size = 1;
  while (u >= 128n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/** Writes a zig-zag varlong (int64) at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number | bigint): number {
  if (typeof value === 'number' && value > -EXACT_VARLONG_LIMIT && value < EXACT_VARLONG_LIMIT) {
    let u = value >= 0 ? value * 2 : -value * 2 - 1;
    while (u >= 128) {
      buf[pos++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    buf[pos++] = u;
    return pos;
  }
  let u = zigzagBig(BigInt(value));
  while (u >= 128n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}

/** Why a varint could not be read; the caller turns it into its own typed error. */
export type VarintProblem = 'truncated' | 'too-long';

/**
 * Reads varints from `buf` between `pos` and `end`, never past `end`. On bad input it calls `fail`, which
 * must throw (so callers get their own typed error, never a RangeError).
 */
export class VarintReader {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    private readonly fail: (problem: VarintProblem, at: number) => never,
  ) {}

  /** Zig-zag int32, at most 5 bytes. */
  varint(): number {
    const { buf, end } = this;
    let pos = this.pos;
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= end) this.fail('truncated', pos);
      const b = buf[pos++]!;
      u |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return (u >>> 1) ^ -(u & 1);
      }
    }
    return this.fail('too-long', this.pos);
  }

  /** Zig-zag int64, at most 10 bytes, as bigint. */
  varlongBig(): bigint {
    const { buf, end } = this;
    let pos = this.pos;
    let u = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) this.fail('truncated', pos);
      const b = buf[pos++]!;
      u |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        u = BigInt.asUintN(64, u);
        return (u >> 1n) ^ -(u & 1n);
      }
    }
    return this.fail('too-long', this.pos);
  }

  /**
   * Zig-zag int64 as a number. Exact for |value| < 2^52 (the common case: small deltas); larger values go
   * through bigint and come back rounded only if they exceed Number.MAX_SAFE_INTEGER, which callers check.
   */
  varlong(): number {
    const { buf, end } = this;
    const start = this.pos;
    let pos = start;
    let u = 0;
    let scale = 1;
    // Up to 7 groups (49 bits) the unsigned value is exact in a double.
    for (let i = 0; i < 7; i++) {
      if (pos >= end) this.fail('truncated', pos);
      const b = buf[pos++]!;
      u += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
      scale *= 128;
    }
    this.pos = start;
    return Number(this.varlongBig());
  }
}
