/**
 * What read_committed needs per partition: the open transactions (for the last stable offset) and the
 * aborted ones (for the Fetch response's aborted_transactions), keyed by partition log object, so a deleted
 * and recreated topic starts clean.
 *
 * A transaction's first offset in a partition is the partition's high watermark when its first
 * transactional batch there was accepted: the batch lands at or above it, and every earlier transaction of
 * the same producer had its marker written before (so consumers filtering by producer id from there on drop
 * exactly this transaction's batches). The LSO is the smallest first offset of the open transactions, or
 * the high watermark when there are none, as Kafka's. After a restart, an open transaction holds each of
 * its partitions from the high watermark it had when the partition was added (the lower bound the
 * transaction log keeps).
 *
 * Aborted transactions are kept in memory (pruned below the log start) and in a `.txnindex` file beside the
 * segment that was active when the abort marker was written (Kafka's layout and 34-byte entry: version,
 * producer id, first offset, last offset = the marker's, last stable offset). Loaded from those files the
 * first time a read_committed fetch or an abort needs the partition; a crash before an entry is written
 * leaves its transaction in PrepareAbort in the transaction log, which writes marker and entry again on
 * start-up (recovery by the coordinator; consumers ignore the duplicate).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PartitionLog } from '../log/partition-log.js';
import { segmentFileStem } from '../log/file-names.js';

export const TXN_INDEX_SUFFIX = '.txnindex';
const ENTRY_BYTES = 34;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The offset of its ABORT marker. */
  lastOffset: bigint;
}

interface PartitionState {
  /** Producer id → first offset of its open transaction. */
  open: Map<bigint, bigint>;
  /** Sorted by lastOffset (markers are appended in order). */
  aborted: AbortedTxn[];
  loading: Promise<void> | undefined;
  loaded: boolean;
}

export class PartitionTxns {
  private readonly states = new WeakMap<PartitionLog, PartitionState>();

  private stateOf(log: PartitionLog): PartitionState {
    let s = this.states.get(log);
    if (!s) this.states.set(log, (s = { open: new Map(), aborted: [], loading: undefined, loaded: false }));
    return s;
  }

  /** Last stable offset: the first offset of the oldest open transaction, else the high watermark. */
  lastStableOffset(log: PartitionLog): bigint {
    const s = this.states.get(log);
    let lso = log.highWatermark;
    if (s === undefined || s.open.size === 0) return lso;
    for (const first of s.open.values()) if (first < lso) lso = first;
    return lso;
  }

  /** A transaction of `producerId` now includes the partition, from `firstOffset` on. */
  open(log: PartitionLog, producerId: bigint, firstOffset: bigint): void {
    const s = this.stateOf(log);
    if (!s.open.has(producerId)) s.open.set(producerId, firstOffset);
  }

  /** The first offset of `producerId`'s open transaction in the partition, if it has written there. */
  firstOffset(log: PartitionLog, producerId: bigint): bigint | undefined {
    return this.states.get(log)?.open.get(producerId);
  }

  /** Its marker is written: the transaction no longer holds the LSO back. */
  close(log: PartitionLog, producerId: bigint): void {
    this.states.get(log)?.open.delete(producerId);
    const waiters = this.closeWaiters.get(log);
    if (waiters) {
      this.closeWaiters.delete(log);
      for (const wake of waiters) wake();
    }
  }

  /**
   * Resolves when a transaction of the partition closes (its last stable offset may move), or on abort: a
   * read_committed reader parked at the LSO (the in-process link) waits here, not on a timer. An aborted
   * transaction closes after its `.txnindex` entry is written, later than its marker's append.
   */
  whenClosed(log: PartitionLog, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let waiters = this.closeWaiters.get(log);
      if (!waiters) this.closeWaiters.set(log, (waiters = new Set()));
      const set = waiters;
      const wake = (): void => {
        set.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      set.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }
  private readonly closeWaiters = new WeakMap<PartitionLog, Set<() => void>>();

  /** Records an abort (in memory and in the active segment's `.txnindex`); resolves once written. */
  async addAborted(log: PartitionLog, entry: AbortedTxn): Promise<void> {
    await this.ready(log);
    const s = this.stateOf(log);
    s.aborted.push(entry);
    const start = log.logStartOffset;
    let drop = 0;
    while (drop < s.aborted.length && s.aborted[drop]!.lastOffset < start) drop++;
    if (drop > 0) s.aborted.splice(0, drop);
    const base = log.segmentBaseOffsets().at(-1) ?? 0n;
    const buf = Buffer.alloc(ENTRY_BYTES);
    buf.writeInt16BE(0, 0);
    buf.writeBigInt64BE(entry.producerId, 2);
    buf.writeBigInt64BE(entry.firstOffset, 10);
    buf.writeBigInt64BE(entry.lastOffset, 18);
    buf.writeBigInt64BE(this.lastStableOffset(log), 26);
    await fs.appendFile(path.join(log.dir, segmentFileStem(base) + TXN_INDEX_SUFFIX), buf);
  }

  /** Whether any aborted transaction is known for the partition (most partitions: none, and no walk). */
  hasAborted(log: PartitionLog): boolean {
    return (this.states.get(log)?.aborted.length ?? 0) > 0;
  }

  /** Aborted transactions overlapping [from, to): those whose marker is at or after `from` and that began before `to`. */
  abortedIn(log: PartitionLog, from: bigint, to: bigint): AbortedTxn[] {
    const s = this.states.get(log);
    if (!s || s.aborted.length === 0) return [];
    const list = s.aborted;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.lastOffset < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AbortedTxn[] = [];
    for (let i = lo; i < list.length; i++) if (list[i]!.firstOffset < to) out.push(list[i]!);
    return out;
  }

  /** Loads the partition's `.txnindex` files once (the first read_committed fetch or abort). */
  ready(log: PartitionLog): Promise<void> | undefined {
    const s = this.stateOf(log);
    if (s.loaded) return undefined;
    s.loading ??= loadIndex(log).then(
      (entries) => {
        // Entries added while loading are newer than any on disk.
        s.aborted = [...entries, ...s.aborted];
        s.loaded = true;
      },
      () => {
        s.loading = undefined; // unreadable: try again next time
      },
    );
    return s.loading;
  }
}

async function loadIndex(log: PartitionLog): Promise<AbortedTxn[]> {
  const names = (await fs.readdir(log.dir)).filter((n) => n.endsWith(TXN_INDEX_SUFFIX)).sort();
  const firstSegment = log.segmentBaseOffsets()[0] ?? 0n;
  const start = log.logStartOffset;
  const out: AbortedTxn[] = [];
  for (const name of names) {
    const file = path.join(log.dir, name);
    const data = await fs.readFile(file);
    let kept = 0;
    for (let pos = 0; pos + ENTRY_BYTES <= data.length; pos += ENTRY_BYTES) {
      const entry = { producerId: data.readBigInt64BE(pos + 2), firstOffset: data.readBigInt64BE(pos + 10), lastOffset: data.readBigInt64BE(pos + 18) };
      if (entry.lastOffset < start || entry.lastOffset >= log.highWatermark) continue;
      out.push(entry);
      kept++;
    }
    // The index of a segment retention removed, with nothing still in the log: remove it too.
    if (kept === 0 && BigInt(name.slice(0, 20)) < firstSegment) await fs.rm(file, { force: true });
  }
  out.sort((a, b) => (a.lastOffset < b.lastOffset ? -1 : a.lastOffset > b.lastOffset ? 1 : 0));
  return out;
}
