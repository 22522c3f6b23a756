/**
 * The `.index` file: 8-byte entries (int32 offset relative to the segment base, int32 file position of the
 * batch starting at that offset), one every `index.interval.bytes` of log. Lookups binary-search for the
 * last batch starting at or before an offset; the reader scans batch headers forward from there.
 */
import { IndexFile } from './index-file.js';

const ENTRY_SIZE = 8;
/** The largest offset past its segment's base that an entry can hold (int32): a batch beyond it needs a new segment. */
export const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export class OffsetIndex extends IndexFile {
  constructor(
    path: string,
    readonly baseOffset: bigint,
    maxBytes: number,
  ) {
    super(path, ENTRY_SIZE, maxBytes);
  }

  append(offset: bigint, position: number): void {
    const { buf, at } = this.claimEntry();
    buf.writeInt32BE(Number(offset - this.baseOffset), at);
    buf.writeInt32BE(position, at + 4);
  }

  /** Position of the last indexed batch starting at or before `offset`; position 0 if none. */
  lookup(offset: bigint): { offset: bigint; position: number } {
    const rel = offset - this.baseOffset;
    if (rel < 0n || this.count === 0) return { offset: this.baseOffset, position: 0 };
    const target = Number(rel > MAX_RELATIVE_OFFSET ? MAX_RELATIVE_OFFSET : rel);
    const buf = this.requireEntries();
    const i = this.search((e) => buf.readInt32BE(e * ENTRY_SIZE), target, false);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + BigInt(buf.readInt32BE(i * ENTRY_SIZE)), position: buf.readInt32BE(i * ENTRY_SIZE + 4) };
  }

  /** The last entry, for scanning the tail of a segment on load. */
  last(): { offset: bigint; position: number } | undefined {
    if (this.count === 0) return undefined;
    const buf = this.requireEntries();
    const at = (this.count - 1) * ENTRY_SIZE;
    return { offset: this.baseOffset + BigInt(buf.readInt32BE(at)), position: buf.readInt32BE(at + 4) };
  }

  protected override isSane(logSize: number): boolean {
    const buf = this.requireEntries();
    let prevOffset = -1;
    let prevPosition = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = buf.readInt32BE(i * ENTRY_SIZE);
      const pos = buf.readInt32BE(i * ENTRY_SIZE + 4);
      if (rel <= prevOffset || pos <= prevPosition || pos >= logSize) return false;
      prevOffset = rel;
      prevPosition = pos;
    }
    return true;
  }
}
