/**
 * Group commit for produce: while two appends to a partition are being written (the log keeps two writes in
 * flight), the produce requests that arrive for it queue up, and are then appended together with one write.
 *
 * Each append costs a thread-pool round trip and a syscall whatever its size, and its response a socket
 * write; with a producer keeping several ~100 KB requests in flight these fixed costs dominated (profile:
 * fs write and socket write ~0.1 ms each per request on the main thread). Grouping makes them per group,
 * and the responses of a group leave in one corked write. A lone request is appended at once, so latency
 * does not change. Offsets are still assigned in arrival order; each request learns its own base offset
 * from its stamped first batch. If a group is refused for a bad batch, its members are appended one by
 * one so only the bad one fails.
 */
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../protocol/batch-header.js';
import { ErrorCode, errorCodeOf } from '../protocol/errors.js';
import { BufferPool } from './buffer-pool.js';
import type { AppendResult, PartitionLog } from './log/partition-log.js';

/** Requests larger than this are appended alone (per-byte costs dominate; no copy for them). */
const MAX_MEMBER_BYTES = 256 * 1024;
/** A group's size at most (and at most a quarter of the segment, so rolling stays fine-grained). */
const MAX_GROUP_BYTES = 1024 * 1024;
/** Errors that mean "one batch is bad", not "the log failed": retry members alone to find it. */
const PER_BATCH_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  ErrorCode.INVALID_RECORD,
]);

/** Memory for merged groups, reused: the log copies them into the page cache and keeps no reference. */
const mergePool = new BufferPool({ maxPooled: 2 * MAX_GROUP_BYTES, maxFreeBytes: 16 * 1024 * 1024 });

interface Member {
  records: Buffer;
  /** Sealed by EventBatchBuilder in this process (in-process link): its CRC is not recomputed. */
  sealedInProcess: boolean;
  resolve(r: AppendResult): void;
  reject(e: unknown): void;
}

/**
 * Appends (single requests or merged groups) of a partition outstanding in the log at once: the log keeps
 * two writes in flight (partition-log.ts), and requests arriving meanwhile wait here to be merged.
 */
const MAX_APPENDS_OUTSTANDING = 2;

class PartitionAppender {
  private readonly queue: Member[] = [];
  private outstanding = 0;

  constructor(private readonly log: PartitionLog) {}

  append(records: Buffer, sealedInProcess: boolean): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, sealedInProcess, resolve, reject });
      this.pump();
    });
  }

  /** Starts queued appends while fewer than MAX_APPENDS_OUTSTANDING are in the log. */
  private pump(): void {
    while (this.queue.length > 0 && this.outstanding < MAX_APPENDS_OUTSTANDING) {
      const group = this.takeGroup();
      if (group.length === 1) this.startAlone(group[0]!);
      else this.startGroup(group);
    }
  }

  /** Counts `appending` as outstanding until it settles, then starts what queued meanwhile. */
  private track(appending: Promise<unknown>): void {
    this.outstanding++;
    void appending.then(
      () => this.settled(),
      () => this.settled(),
    );
  }

  private settled(): void {
    this.outstanding--;
    this.pump();
  }

  private takeGroup(): Member[] {
    const first = this.queue.shift()!;
    const group = [first];
    const limit = Math.min(MAX_GROUP_BYTES, Math.floor(this.log.config.segmentBytes / 4));
    let bytes = first.records.length;
    if (bytes > MAX_MEMBER_BYTES) return group;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.records.length > MAX_MEMBER_BYTES || bytes + next.records.length > limit) break;
      group.push(this.queue.shift()!);
      bytes += next.records.length;
    }
    return group;
  }

  /** Queues one member's append in the log now (a validation failure rejects it at once). */
  private startAlone(m: Member): void {
    let appending: Promise<AppendResult>;
    try {
      appending = this.log.beginAppend(m.records, m.sealedInProcess ? { sealedInProcess: true } : {});
    } catch (e) {
      m.reject(e);
      return;
    }
    this.track(appending);
    appending.then(m.resolve, m.reject);
  }

  private startGroup(group: Member[]): void {
    let total = 0;
    for (const m of group) total += m.records.length;
    const merged = mergePool.acquire(total);
    let at = 0;
    let sealed = true;
    for (const m of group) {
      at += m.records.copy(merged, at);
      sealed &&= m.sealedInProcess;
    }
    let appending: Promise<AppendResult>;
    try {
      // Trusted only if every member is: one batch from a socket in the group and every CRC is checked.
      appending = this.log.beginAppend(merged, sealed ? { sealedInProcess: true } : {});
    } catch (e) {
      mergePool.release(merged);
      const code = errorCodeOf(e, undefined);
      // Validation throws before anything was queued: appending the members alone keeps arrival order.
      if (code !== undefined && PER_BATCH_ERRORS.has(code)) for (const m of group) this.startAlone(m);
      else for (const m of group) m.reject(e);
      return;
    }
    this.track(appending);
    appending.then(
      (result) => {
        // The log stamped offsets into `merged` in place: read each member's range back from its batches.
        let pos = 0;
        for (const m of group) {
          const end = pos + m.records.length;
          const baseOffset = merged.readBigInt64BE(pos);
          let lastOffset = baseOffset;
          for (let p = pos; p + BATCH_OFFSET.recordCount <= end; ) {
            lastOffset = merged.readBigInt64BE(p) + BigInt(merged.readInt32BE(p + BATCH_OFFSET.lastOffsetDelta));
            p += merged.readInt32BE(p + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
          }
          m.resolve({ baseOffset, lastOffset, logAppendTime: result.logAppendTime, logStartOffset: result.logStartOffset });
          pos = end;
        }
        mergePool.release(merged);
      },
      (e: unknown) => {
        // Written or not, the group failed as a whole (a disk error, the log closing): every member learns it.
        mergePool.release(merged);
        for (const m of group) m.reject(e);
      },
    );
  }
}

const appenders = new WeakMap<PartitionLog, PartitionAppender>();

/**
 * Appends `records` to `log`, grouped with other produce requests that arrive while a write is in flight.
 * `sealedInProcess`: see PartitionAppendOptions (only the in-process link sets it).
 */
export function coalescedAppend(log: PartitionLog, records: Buffer, sealedInProcess = false): Promise<AppendResult> {
  let a = appenders.get(log);
  if (!a) appenders.set(log, (a = new PartitionAppender(log)));
  return a.append(records, sealedInProcess);
}
