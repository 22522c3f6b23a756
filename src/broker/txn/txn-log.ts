/**
 * The durable transaction log, `transactions.log` in the data dir: one framed entry (framed-log.ts) per state
 * change of a transactional id, holding its whole record, so the latest entry of an id is its state. Loaded
 * and compacted (latest entry per id) at start-up, like the offsets store; appends are queued and written by
 * the framed log, and a state change is acknowledged to the client only once its entry is written.
 *
 * A Prepare* entry carries everything needed to finish the transaction after a crash: its partitions (with
 * their first offsets) and the group offsets to apply on commit.
 */
import path from 'node:path';
import { FramedLog } from '../framed-log.js';
import { PayloadReader, PayloadWriter } from '../groups/payload.js';
import { TXN_STATES, type TxnMetadata } from './txn-metadata.js';

export const TRANSACTIONS_FILE = 'transactions.log';
const FORMAT = 1;

export function encodeTxn(t: TxnMetadata): Buffer {
  const w = new PayloadWriter(128 + t.transactionalId.length * 3)
    .int8(FORMAT)
    .string(t.transactionalId)
    .int64(t.producerId)
    .int16(t.producerEpoch)
    .int32(t.timeoutMs)
    .int8(TXN_STATES.indexOf(t.state))
    .int64(BigInt(t.startTimeMs))
    .int64(BigInt(t.updateTimeMs))
    .int32(t.partitions.size);
  for (const p of t.partitions.values()) w.string(p.topic).int32(p.partition).int64(p.firstOffset);
  w.int32(t.groups.size);
  for (const [group, offsets] of t.groups) {
    w.string(group).int32(offsets.length);
    for (const o of offsets) w.string(o.topic).int32(o.partition).int64(o.offset).int32(o.leaderEpoch).string(o.metadata);
  }
  return w.toBuffer();
}

export function decodeTxn(payload: Buffer): TxnMetadata | undefined {
  const r = new PayloadReader(payload);
  if (r.int8() !== FORMAT) return undefined;
  const transactionalId = r.string() ?? '';
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = TXN_STATES[r.int8()];
  if (state === undefined) return undefined;
  const startTimeMs = Number(r.int64());
  const updateTimeMs = Number(r.int64());
  const partitions = new Map<string, { topic: string; partition: number; firstOffset: bigint }>();
  for (let n = r.int32(); n > 0; n--) {
    const topic = r.string() ?? '';
    const partition = r.int32();
    partitions.set(`${partition}:${topic}`, { topic, partition, firstOffset: r.int64() });
  }
  const groups = new Map<string, { topic: string; partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }[]>();
  for (let n = r.int32(); n > 0; n--) {
    const group = r.string() ?? '';
    const offsets = [];
    for (let m = r.int32(); m > 0; m--) offsets.push({ topic: r.string() ?? '', partition: r.int32(), offset: r.int64(), leaderEpoch: r.int32(), metadata: r.string() });
    groups.set(group, offsets);
  }
  return { transactionalId, producerId, producerEpoch, timeoutMs, state, startTimeMs, updateTimeMs, partitions, groups };
}

/**
 * Compact while running once dead entries pass both this many bytes and the live entries' size: the file
 * stays within about twice its live size plus 1 MiB, and each rewrite is paid for by at least 1 MiB of appends.
 */
export const COMPACT_MIN_GARBAGE_BYTES = 1024 * 1024;
const FRAME_OVERHEAD = 8;

export class TxnLog {
  /** Encoded size of each id's latest entry, frame included. */
  private readonly liveSizes = new Map<string, number>();
  private liveBytes = 0;

  private constructor(
    private readonly log: FramedLog,
    private readonly txns: ReadonlyMap<string, TxnMetadata>,
  ) {}

  /**
   * Opens the log (synchronously, at start-up), returns the latest state of every transactional id and
   * compacts the file to them. `txns` stays the live state that later compactions write.
   */
  static open(dataDir: string, options: { fsync?: boolean } = {}): { log: TxnLog; txns: Map<string, TxnMetadata> } {
    const { log, payloads } = FramedLog.open(path.join(dataDir, TRANSACTIONS_FILE), options);
    const txns = new Map<string, TxnMetadata>();
    for (const p of payloads) {
      const t = decodeTxn(p);
      if (t) txns.set(t.transactionalId, t);
    }
    const live = [...txns.values()].map(encodeTxn);
    log.rewriteSync(live);
    const txnLog = new TxnLog(log, txns);
    [...txns.keys()].forEach((id, i) => txnLog.setSize(id, live[i]!.length + FRAME_OVERHEAD));
    return { log: txnLog, txns };
  }

  /** Size of `transactions.log` in bytes (tests). */
  get fileBytes(): number {
    return this.log.sizeBytes;
  }

  /**
   * Writes `t`'s current state (off the event loop, sharing a write with concurrent changes); resolves once
   * it is in the page cache, and on disk with --fsync always.
   */
  async write(t: TxnMetadata): Promise<void> {
    const payload = encodeTxn(t);
    this.setSize(t.transactionalId, payload.length + FRAME_OVERHEAD);
    const written = this.log.append(payload);
    const garbage = this.log.sizeBytes - this.liveBytes;
    if (garbage > COMPACT_MIN_GARBAGE_BYTES && garbage > this.liveBytes) {
      // Runs after the appends queued before it, so the state it writes covers them all.
      this.log.rewrite(() => [...this.txns.values()].map(encodeTxn)).catch(() => undefined); // a failed compaction leaves the old, whole file
    }
    await written;
  }

  /** An id the coordinator forgot: its entries are dead, and the next compaction drops them. */
  forget(id: string): void {
    this.liveBytes -= this.liveSizes.get(id) ?? 0;
    this.liveSizes.delete(id);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private setSize(id: string, bytes: number): void {
    this.liveBytes += bytes - (this.liveSizes.get(id) ?? 0);
    this.liveSizes.set(id, bytes);
  }
}
