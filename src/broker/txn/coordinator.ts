/**
 * The transaction coordinator (Kafka's TransactionCoordinator) for every transactional id: InitProducerId
 * with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, the produce-path
 * check of transactional batches, the markers, and the broker-side abort of transactions past their timeout.
 *
 * Each state change is written to the transaction log (txn-log.ts) before it is acknowledged. EndTxn writes
 * PrepareCommit/PrepareAbort; the markers then go to every partition of the transaction, the group offsets
 * of a commit are stored, and Complete* is written. Requests for the id meanwhile get
 * CONCURRENT_TRANSACTIONS (retriable), as in Kafka. A Prepare* found at start-up is completed the same way;
 * an Ongoing one is aborted when its timeout passes. Operations on one id run one at a time.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import type { OffsetToCommit } from '../groups/offset-store.js';
import type { PartitionLog } from '../log/partition-log.js';
import { encodeMarker } from './control-batch.js';
import { PartitionTxns } from './partition-txns.js';
import type { TxnLog } from './txn-log.js';
import { TXN_STATES, isOpen, isPrepare, newMetadata, partitionKey, type TxnMetadata, type TxnState } from './txn-metadata.js';

interface ProducerIdAndEpoch {
  producerId: bigint;
  producerEpoch: number;
}

export interface TransactionCoordinatorDeps {
  /** The producer-id service (producers/producer-ids.ts): allocates ids and bumps a transactional id's epoch. */
  ids: {
    initProducerId(id: string, timeoutMs: number, expected: ProducerIdAndEpoch | null): ProducerIdAndEpoch | { errorCode: number } | Promise<ProducerIdAndEpoch | { errorCode: number }>;
  };
  log: TxnLog;
  partitionOf(topic: string, partition: number): PartitionLog | undefined;
  /** Appends a control batch the broker built (no produce checks); resolves with its offset. */
  append(log: PartitionLog, batch: Buffer): Promise<{ baseOffset: bigint }>;
  /** Stores a committed transaction's offsets; undefined while no group coordinator runs. */
  groups(): GroupsForTxn | undefined;
  logger: Logger;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /**
   * transactional.id.expiration.ms: an id with no transaction open and no change this long is forgotten
   * (checked at start-up and every EXPIRY_SWEEP_EVERY registrations), as the producer-id service forgets it.
   */
  expirationMs: number;
  now?: () => number;
  /**
   * Test hook (KAFKAESQUE_TEST_HOLD_TXN_MARKERS=1): leave transactions in Prepare* without writing their
   * markers, so a test can kill the broker between EndTxn and the markers.
   */
  holdMarkers?: boolean;
}

export interface GroupsForTxn {
  checkTransactionalCommit(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number;
  commitTransactionalOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void>;
}

/** What the producer-id service accepts at most (its own bound); longer timeouts are stored there capped. */
const ID_SERVICE_MAX_TIMEOUT_MS = 900_000;
/** After a failed marker write (a full disk), try the transaction again this much later. */
const MARKER_RETRY_MS = 1000;
const INT32_MAX = 2 ** 31 - 1;
/** Look for expired transactional ids once per this many InitProducerId calls (besides start-up). */
export const EXPIRY_SWEEP_EVERY = 1024;

export interface TxnDescription {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

export class TransactionCoordinator {
  readonly partitions = new PartitionTxns();
  private readonly byProducer = new Map<bigint, TxnMetadata>();
  /** Transactions in Ongoing or Prepare* (they hold partitions open). */
  private readonly open = new Set<TxnMetadata>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly completing = new Set<Promise<void>>();
  /** Expired transactions whose abort is queued (the timer skips them). */
  private readonly expiring = new Set<TxnMetadata>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;
  private readonly now: () => number;
  private sinceSweep = 0;

  constructor(
    private readonly deps: TransactionCoordinatorDeps,
    private readonly txns: Map<string, TxnMetadata>,
  ) {
    this.now = deps.now ?? Date.now;
    this.dropExpired();
    for (const t of txns.values()) {
      this.byProducer.set(t.producerId, t);
      if (!isOpen(t.state)) continue;
      this.open.add(t);
      for (const p of t.partitions.values()) {
        const log = deps.partitionOf(p.topic, p.partition);
        if (log) this.partitions.open(log, t.producerId, p.firstOffset);
      }
      if (isPrepare(t.state)) {
        deps.logger.info({ transactionalId: t.transactionalId, state: t.state }, 'completing a transaction left in prepare by the previous run');
        void this.complete(t);
      }
    }
    this.schedule();
  }

  // ------------------------------------------------------------ InitProducerId

  async initProducerId(id: string, timeoutMs: number, expectedProducer: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch | { errorCode: number }> {
    if (timeoutMs <= 0 || timeoutMs > this.deps.maxTimeoutMs) return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT };
    if (++this.sinceSweep >= EXPIRY_SWEEP_EVERY) {
      this.sinceSweep = 0;
      this.dropExpired();
    }
    return this.serial(id, async () => {
      let expected = expectedProducer;
      const t = this.txns.get(id);
      if (t && isPrepare(t.state)) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      if (t && expected && (expected.producerId !== t.producerId || expected.producerEpoch !== t.producerEpoch)) {
        return { errorCode: ErrorCode.PRODUCER_FENCED }; // a stale producer asking to bump (KIP-360): fenced, nothing aborted
      }
      if (t && t.state === 'Ongoing') {
        // The previous incarnation left a transaction open: fence it and abort it first.
        await this.abortFenced(t, 'a new producer registered the transactional id');
        if (isPrepare(t.state)) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS }; // markers pending: the client retries
        expected = null; // the abort bumped the epoch the client knew
      }
      const r = await this.deps.ids.initProducerId(id, Math.min(timeoutMs, ID_SERVICE_MAX_TIMEOUT_MS), expected);
      if ('errorCode' in r) return r;
      const meta = t ?? newMetadata(id, r.producerId, r.producerEpoch, timeoutMs, this.now());
      this.setProducer(meta, r.producerId, r.producerEpoch);
      meta.timeoutMs = timeoutMs;
      meta.state = 'Empty';
      meta.startTimeMs = -1;
      meta.updateTimeMs = this.now();
      meta.partitions.clear();
      meta.groups.clear();
      this.txns.set(id, meta);
      await this.deps.log.write(meta);
      return r;
    });
  }

  // --------------------------------------------------------- AddPartitionsToTxn

  /** Adds partitions to the transaction; the error per "partition:topic" key (all 0 on success). */
  addPartitions(id: string, producerId: bigint, producerEpoch: number, parts: readonly { topic: string; partition: number }[]): Promise<Map<string, number>> {
    return this.serial(id, async () => {
      const result = new Map<string, number>();
      const all = (code: number) => {
        for (const p of parts) result.set(partitionKey(p.topic, p.partition), code);
        return result;
      };
      const t = this.txns.get(id);
      const problem = this.checkProducer(t, producerId, producerEpoch);
      if (problem) return all(problem);
      if (isPrepare(t!.state)) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
      const logs = parts.map((p) => this.deps.partitionOf(p.topic, p.partition));
      if (logs.some((l) => l === undefined)) {
        parts.forEach((p, i) => result.set(partitionKey(p.topic, p.partition), logs[i] ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        return result;
      }
      const meta = t!;
      let changed = this.begin(meta);
      parts.forEach((p, i) => {
        const key = partitionKey(p.topic, p.partition);
        if (meta.partitions.has(key)) return;
        // A lower bound of the transaction's first offset here, kept for a restart; the LSO is held only
        // from the first transactional batch on (checkProduce), as Kafka's.
        meta.partitions.set(key, { topic: p.topic, partition: p.partition, firstOffset: logs[i]!.highWatermark });
        changed = true;
      });
      if (changed) await this.write(meta);
      return all(ErrorCode.NONE);
    });
  }

  /** AddPartitionsToTxn v4+ with verify_only: whether each partition is in the ongoing transaction. */
  verifyPartitions(id: string, producerId: bigint, producerEpoch: number, parts: readonly { topic: string; partition: number }[]): Map<string, number> {
    const t = this.txns.get(id);
    const problem = this.checkProducer(t, producerId, producerEpoch);
    const result = new Map<string, number>();
    for (const p of parts) {
      const key = partitionKey(p.topic, p.partition);
      result.set(key, problem || (t!.state === 'Ongoing' && t!.partitions.has(key) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE));
    }
    return result;
  }

  // ---------------------------------------------------- AddOffsetsToTxn, TxnOffsetCommit

  addOffsets(id: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    return this.serial(id, async () => {
      const t = this.txns.get(id);
      const problem = this.checkProducer(t, producerId, producerEpoch);
      if (problem) return problem;
      if (isPrepare(t!.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
      if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
      let changed = this.begin(t!);
      if (!t!.groups.has(groupId)) {
        t!.groups.set(groupId, []);
        changed = true;
      }
      if (changed) await this.write(t!);
      return ErrorCode.NONE;
    });
  }

  /** Holds `offsets` in the transaction until it commits; one error for all of them. */
  txnOffsetCommit(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    member: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null },
    offsets: readonly OffsetToCommit[],
  ): Promise<number> {
    return this.serial(id, async () => {
      const t = this.txns.get(id);
      const problem = this.checkProducer(t, producerId, producerEpoch);
      if (problem) return problem;
      if (isPrepare(t!.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
      const pending = t!.groups.get(member.groupId);
      if (t!.state !== 'Ongoing' || !pending) return ErrorCode.INVALID_TXN_STATE; // AddOffsetsToTxn first
      const groups = this.deps.groups();
      if (!groups) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      const memberError = groups.checkTransactionalCommit(member.groupId, member.generationId, member.memberId, member.groupInstanceId);
      if (memberError) return memberError;
      for (const o of offsets) {
        const at = pending.findIndex((p) => p.topic === o.topic && p.partition === o.partition);
        if (at >= 0) pending[at] = o;
        else pending.push(o);
      }
      return ErrorCode.NONE;
    });
  }

  /** Whether an open transaction holds offsets for the group's partition (OffsetFetch require_stable). */
  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    for (const t of this.open) {
      const pending = t.groups.get(groupId);
      if (pending?.some((o) => o.topic === topic && o.partition === partition)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ EndTxn

  endTxn(id: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    return this.serial(id, async () => {
      const t = this.txns.get(id);
      const problem = this.checkProducer(t, producerId, producerEpoch);
      if (problem) return problem;
      const meta = t!;
      switch (meta.state) {
        case 'Ongoing':
          await this.prepare(meta, commit);
          return ErrorCode.NONE;
        case 'PrepareCommit':
          return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
        case 'PrepareAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'CompleteCommit': // a retry of the EndTxn that completed it
          return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'Empty':
          return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  // ---------------------------------------------------------- Produce path

  /**
   * Produce's check of a transactional batch: its producer must be in an ongoing transaction that includes
   * the partition, with the current epoch. Reads the 61-byte header only.
   */
  checkProduce(topic: string, partition: number, records: Buffer): { errorCode: number; message: string } | null {
    const producerId = records.readBigInt64BE(43);
    const producerEpoch = records.readInt16BE(51);
    const t = this.byProducer.get(producerId);
    if (!t) return { errorCode: ErrorCode.INVALID_TXN_STATE, message: `producer id ${producerId} has no transaction on this broker; call initTransactions and beginTransaction first` };
    if (producerEpoch < t.producerEpoch) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer epoch ${producerEpoch} of "${t.transactionalId}" is fenced by epoch ${t.producerEpoch}: a newer producer took over this transactional id` };
    }
    if (producerEpoch !== t.producerEpoch || t.state !== 'Ongoing' || !t.partitions.has(partitionKey(topic, partition))) {
      return { errorCode: ErrorCode.INVALID_TXN_STATE, message: `${topic}-${partition} is not in an ongoing transaction of "${t.transactionalId}" (state ${t.state}); add the partition to the transaction before producing` };
    }
    // The first batch of the transaction here lands at or above the high watermark: the LSO stops there.
    const log = this.deps.partitionOf(topic, partition);
    if (log) this.partitions.open(log, producerId, log.highWatermark);
    return null;
  }

  // ------------------------------------------------------- Describe / List

  describe(id: string): TxnDescription {
    const t = this.txns.get(id);
    if (!t) {
      return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    }
    const topics = new Map<string, number[]>();
    for (const p of t.partitions.values()) {
      let list = topics.get(p.topic);
      if (!list) topics.set(p.topic, (list = []));
      list.push(p.partition);
    }
    return {
      errorCode: 0,
      transactionalId: id,
      transactionState: t.state,
      transactionTimeoutMs: t.timeoutMs,
      transactionStartTimeMs: BigInt(t.startTimeMs),
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) })),
    };
  }

  /** ListTransactions: filters as Kafka's (empty = all; durationMs < 0 = any age). */
  list(states: readonly string[], producerIds: readonly bigint[], durationMs: bigint): { unknownStates: string[]; txns: { transactionalId: string; producerId: bigint; transactionState: string }[] } {
    const unknownStates = states.filter((s) => !(TXN_STATES as readonly string[]).includes(s));
    const now = this.now();
    const txns = [];
    for (const t of this.txns.values()) {
      if (states.length > 0 && !states.includes(t.state)) continue;
      if (producerIds.length > 0 && !producerIds.includes(t.producerId)) continue;
      if (durationMs >= 0n && (t.startTimeMs < 0 || now - t.startTimeMs < Number(durationMs))) continue;
      txns.push({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state });
    }
    return { unknownStates, txns };
  }

  /** Transactions known (tests, metrics). */
  state(id: string): TxnState | undefined {
    return this.txns.get(id)?.state;
  }

  /** Stops the timer and waits for marker writes in progress; the caller closes the log afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.allSettled([...this.chains.values()]);
    await Promise.allSettled([...this.completing]);
  }

  // --------------------------------------------------------------- internals

  /** Forgets ids idle past transactional.id.expiration.ms with no transaction open; returns how many. */
  private dropExpired(): number {
    const cutoff = this.now() - this.deps.expirationMs;
    let dropped = 0;
    for (const [id, t] of this.txns) {
      if (isOpen(t.state) || t.updateTimeMs > cutoff || this.chains.has(id)) continue;
      this.txns.delete(id);
      this.deps.log.forget(id);
      if (this.byProducer.get(t.producerId) === t) this.byProducer.delete(t.producerId);
      dropped++;
    }
    if (dropped > 0) this.deps.logger.info({ dropped }, 'forgot transactional ids unused for transactional.id.expiration.ms');
    return dropped;
  }

  /** Transactional ids known (tests, monitoring). */
  get size(): number {
    return this.txns.size;
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }

  private checkProducer(t: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producerEpoch !== t.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  private setProducer(t: TxnMetadata, producerId: bigint, producerEpoch: number): void {
    if (this.byProducer.get(t.producerId) === t) this.byProducer.delete(t.producerId);
    t.producerId = producerId;
    t.producerEpoch = producerEpoch;
    this.byProducer.set(producerId, t);
  }

  /** Starts a transaction if none is ongoing; true when the state changed. */
  private begin(t: TxnMetadata): boolean {
    if (t.state === 'Ongoing') return false;
    t.state = 'Ongoing';
    t.startTimeMs = this.now();
    t.partitions.clear();
    t.groups.clear();
    this.open.add(t);
    return true;
  }

  private async write(t: TxnMetadata): Promise<void> {
    t.updateTimeMs = this.now();
    await this.deps.log.write(t);
    this.schedule();
  }

  /**
   * Writes Prepare*, then the markers. Kafka answers EndTxn once Prepare* is written and lets the next request
   * meet CONCURRENT_TRANSACTIONS until the markers are in; waiting for them here (page-cache writes) means a
   * client that committed reads its own transaction at once and seldom has to retry. A failed marker write
   * still answers: Prepare* is durable, and the markers are retried in the background.
   */
  private async prepare(t: TxnMetadata, commit: boolean): Promise<void> {
    t.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    try {
      await this.write(t);
    } catch (err) {
      t.state = 'Ongoing'; // not durable: the client's EndTxn fails and may be retried
      throw err;
    }
    await this.complete(t);
  }

  /** Bumps the epoch (fencing the producer that began `t`) and aborts the transaction. */
  private async abortFenced(t: TxnMetadata, why: string): Promise<void> {
    const r = await this.deps.ids.initProducerId(t.transactionalId, Math.min(t.timeoutMs, ID_SERVICE_MAX_TIMEOUT_MS), { producerId: t.producerId, producerEpoch: t.producerEpoch });
    // Epoch exhaustion gives a new producer id; the markers still need the old one, so it is kept until then.
    if (!('errorCode' in r) && r.producerId === t.producerId) this.setProducer(t, r.producerId, r.producerEpoch);
    this.deps.logger.info({ transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch }, `aborting transaction: ${why}`);
    await this.prepare(t, false);
  }

  /** Writes the markers of a Prepare* transaction in the background, then Complete*. */
  private complete(t: TxnMetadata): Promise<void> {
    if (this.deps.holdMarkers) {
      this.deps.logger.warn({ transactionalId: t.transactionalId, state: t.state }, 'test hook: markers held (KAFKAESQUE_TEST_HOLD_TXN_MARKERS)');
      return Promise.resolve();
    }
    const job = this.writeMarkers(t).catch((err: unknown) => {
      if (this.closed) return;
      this.deps.logger.error({ err, transactionalId: t.transactionalId }, `writing transaction markers failed; retrying in ${MARKER_RETRY_MS} ms`);
      setTimeout(() => void this.complete(t), MARKER_RETRY_MS).unref();
    });
    this.completing.add(job);
    void job.finally(() => this.completing.delete(job));
    return job;
  }

  private async writeMarkers(t: TxnMetadata): Promise<void> {
    const commit = t.state === 'PrepareCommit';
    const marker = encodeMarker(t.producerId, t.producerEpoch, commit, this.now());
    await Promise.all(
      [...t.partitions.values()].map(async (p) => {
        const log = this.deps.partitionOf(p.topic, p.partition);
        if (!log) return; // the topic was deleted meanwhile
        // The log stamps the offset into the buffer: one copy per partition.
        const firstOffset = this.partitions.firstOffset(log, t.producerId) ?? p.firstOffset;
        const { baseOffset } = await this.deps.append(log, Buffer.from(marker));
        if (!commit) await this.partitions.addAborted(log, { producerId: t.producerId, firstOffset, lastOffset: baseOffset });
        this.partitions.close(log, t.producerId);
      }),
    );
    if (commit && t.groups.size > 0) {
      const groups = this.deps.groups();
      if (!groups) throw new Error('the group coordinator is not running: cannot store the transaction\'s offsets');
      for (const [group, offsets] of t.groups) if (offsets.length > 0) await groups.commitTransactionalOffsets(group, offsets);
    }
    t.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    t.partitions.clear();
    t.groups.clear();
    this.open.delete(t);
    await this.write(t);
  }

  /** One timer, for the earliest deadline of the ongoing transactions. */
  private schedule(): void {
    if (this.closed) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of this.open) {
      if (t.state === 'Ongoing' && !this.expiring.has(t) && t.startTimeMs + t.timeoutMs < earliest) earliest = t.startTimeMs + t.timeoutMs;
    }
    if (earliest === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.expire(), Math.min(INT32_MAX, Math.max(0, earliest - this.now())));
    this.timer.unref();
  }

  private expire(): void {
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    for (const t of [...this.open]) {
      if (t.state !== 'Ongoing' || this.expiring.has(t) || t.startTimeMs + t.timeoutMs > now) continue;
      this.expiring.add(t);
      void this.serial(t.transactionalId, async () => {
        if (t.state === 'Ongoing' && t.startTimeMs + t.timeoutMs <= this.now()) await this.abortFenced(t, `its timeout of ${t.timeoutMs} ms passed`);
      })
        .catch((err: unknown) => this.deps.logger.error({ err, transactionalId: t.transactionalId }, 'aborting an expired transaction failed'))
        .finally(() => {
          this.expiring.delete(t);
          this.schedule();
        });
    }
    this.schedule();
  }
}
