/**
 * The `.timeindex` file: 12-byte entries (int64 largest timestamp so far in the segment, int32 relative
 * offset of the batch that holds it), appended alongside offset-index entries whenever the largest
 * timestamp grew. A lookup returns the last entry strictly older than the target: every batch before that
 * entry's batch is older too, so a scan for the first batch reaching the target can start there.
 */
import { IndexFile } from './index-file.js';

const ENTRY_SIZE = 12;

export class TimeIndex extends IndexFile {
  constructor(
    path: string,
    readonly baseOffset: bigint,
    maxBytes: number,
  ) {
    super(path, ENTRY_SIZE, maxBytes);
  }

  /** Appends (timestamp, offset) if the timestamp is larger than the last entry's. */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    const last = this.last();
    if (last !== undefined && timestamp <= last.timestamp) return;
    if (this.isFull) return;
    const { buf, at } = this.claimEntry();
    buf.writeBigInt64BE(timestamp, at);
    buf.writeInt32BE(Number(offset - this.baseOffset), at + 8);
  }

  /** The last entry with a timestamp < `timestamp`, or undefined (scan from the segment start). */
  lookupBefore(timestamp: bigint): { timestamp: bigint; offset: bigint } | undefined {
    if (this.count === 0) return undefined;
    const buf = this.requireEntries();
    const i = this.search((e) => buf.readBigInt64BE(e * ENTRY_SIZE), timestamp, true);
    if (i < 0) return undefined;
    return { timestamp: buf.readBigInt64BE(i * ENTRY_SIZE), offset: this.baseOffset + BigInt(buf.readInt32BE(i * ENTRY_SIZE + 8)) };
  }

  last(): { timestamp: bigint; offset: bigint } | undefined {
    if (this.count === 0) return undefined;
    const buf = this.requireEntries();
    const at = (this.count - 1) * ENTRY_SIZE;
    return { timestamp: buf.readBigInt64BE(at), offset: this.baseOffset + BigInt(buf.readInt32BE(at + 8)) };
  }

  protected override isSane(_logSize: number): boolean {
    const buf = this.requireEntries();
    let prevTs: bigint | undefined;
    let prevRel = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = buf.readBigInt64BE(i * ENTRY_SIZE);
      const rel = buf.readInt32BE(i * ENTRY_SIZE + 8);
      if ((prevTs !== undefined && ts <= prevTs) || rel < prevRel || rel < 0) return false;
      prevTs = ts;
      prevRel = rel;
    }
    return true;
  }
}
