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

export class TxnLog {
  private constructor(private readonly log: FramedLog) {}

  /** Opens the log, returns the latest state of every transactional id and compacts the file to them. */
  static open(dataDir: string, options: { fsync?: boolean } = {}): { log: TxnLog; txns: Map<string, TxnMetadata> } {
    const { log, payloads } = FramedLog.open(path.join(dataDir, TRANSACTIONS_FILE), options);
    const txns = new Map<string, TxnMetadata>();
    for (const p of payloads) {
      const t = decodeTxn(p);
      if (t) txns.set(t.transactionalId, t);
    }
    log.rewrite([...txns.values()].map(encodeTxn));
    return { log: new TxnLog(log), txns };
  }

  /** Writes `t`'s current state; resolves once it is in the page cache (on disk with --fsync always). */
  async write(t: TxnMetadata): Promise<void> {
    await this.log.append(encodeTxn(t));
  }

  close(): void {
    this.log.close();
  }
}
