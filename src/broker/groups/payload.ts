/**
 * Minimal binary encoding for the entries of the metadata logs (offsets, producer ids). Kept separate from the
 * wire-protocol codecs on purpose: the on-disk format must not change when a protocol version does.
 */

export class PayloadWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 128) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Starts over in the same buffer (for a writer reused across entries; earlier toBuffer() views change). */
  reset(): this {
    this.pos = 0;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  /** -1 length for null. */
  string(v: string | null): this {
    if (v === null) return this.int32(-1);
    const len = Buffer.byteLength(v);
    this.int32(len);
    this.ensure(len);
    this.buf.write(v, this.pos, 'utf8');
    this.pos += len;
    return this;
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

export class PayloadReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(): string | null {
    const len = this.int32();
    if (len < 0) return null;
    if (this.pos + len > this.buf.length) throw new RangeError('string runs past the end of the entry');
    const v = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
}
