/**
 * The produce-path hook for idempotent producers: reads the producer id, epoch and base sequence from the
 * 61-byte batch header (never the records), consults the partition's producer state, and records accepted
 * batches. State is kept per partition log object, so a deleted and recreated topic starts clean.
 *
 * Called synchronously in request order right before each append is queued, so pipelined batches of one
 * producer are judged in the order they will land in the log.
 */
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_LENGTH_PREFIX, BATCH_OFFSET, readBatchHeader } from '../../protocol/batch-header.js';
import { ErrorCode } from '../../protocol/errors.js';
import { PartitionProducerState, type ProducerBatch, type ProducerSnapshot } from './producer-state.js';

export type GuardVerdict = { errorCode: number; message?: string } | { duplicateOf: bigint } | null;

/**
 * Reads what idempotence needs from the first batch; null when the records are not an idempotent batch.
 * Produce refuses a payload that carries a producer id in more than one batch before the guard sees it
 * (produce-batch-checks.ts, as Kafka), so the first batch is the only one with an id, epoch and sequence.
 */
export function idempotentBatch(records: Buffer): (ProducerBatch & { batchCount: 'one' | 'many'; transactional: boolean; control: boolean }) | null {
  if (records.length < BATCH_HEADER_SIZE || records.readInt8(BATCH_OFFSET.magic) !== 2) return null;
  const producerId = records.readBigInt64BE(BATCH_OFFSET.producerId);
  if (producerId < 0n) return null;
  const attributes = records.readInt16BE(BATCH_OFFSET.attributes);
  const size = records.readInt32BE(BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
  return {
    producerId,
    producerEpoch: records.readInt16BE(BATCH_OFFSET.producerEpoch),
    baseSequence: records.readInt32BE(BATCH_OFFSET.baseSequence),
    lastOffsetDelta: records.readInt32BE(BATCH_OFFSET.lastOffsetDelta),
    batchCount: size < records.length ? 'many' : 'one',
    transactional: (attributes & ATTRIBUTE.transactional) !== 0,
    control: (attributes & ATTRIBUTE.control) !== 0,
  };
}

/** Rebuilds a partition's producer state from its log the first time an idempotent batch arrives for it. */
export interface ProducerStateLoader {
  /** Whether the log holds anything that could matter (an empty log needs no scan). */
  needsLoad(log: object): boolean;
  /** The state saved at a clean shutdown, if it still matches the log exactly (no scan needed). */
  restore?(log: object): PartitionProducerState | undefined;
  /** Replays the log's recent batches into `guard.replay(log, ...)`. */
  load(log: object, guard: IdempotenceGuard): Promise<void>;
}

export class IdempotenceGuard {
  private readonly states = new WeakMap<object, PartitionProducerState>();
  private readonly loading = new WeakMap<object, Promise<void>>();
  private readonly loaded = new WeakSet<object>();
  /** Partitions idempotent producers wrote to, for the shutdown snapshot ("partition:topic" → log). */
  private readonly touched = new Map<string, { topic: string; partition: number; log: object }>();

  /**
   * `partitionOf` names the current log object of a partition (the key of its state), or undefined.
   * Without a `loader` every partition starts with empty state.
   */
  constructor(
    private readonly partitionOf: (topic: string, partition: number) => object | undefined,
    private readonly loader?: ProducerStateLoader,
    private readonly onLoadError: (err: unknown) => void = () => {},
  ) {}

  /**
   * Whether the partition's state is ready; if not, starts rebuilding it (once) in the background. The
   * broker starts without scanning any log, so a restart costs nothing for partitions idempotent
   * producers never write to.
   */
  private ready(log: object): boolean {
    if (this.loaded.has(log)) return true;
    if (!this.loader || !this.loader.needsLoad(log)) {
      this.loaded.add(log);
      return true;
    }
    const restored = this.loader.restore?.(log);
    if (restored) {
      this.states.set(log, restored);
      this.loaded.add(log);
      return true;
    }
    if (!this.loading.has(log)) {
      const job = this.loader.load(log, this).then(
        () => {
          this.loaded.add(log);
        },
        (err: unknown) => {
          this.onLoadError(err);
          this.loading.delete(log); // the next produce tries again
        },
      );
      this.loading.set(log, job);
    }
    return false;
  }

  /** Resolves once the partition's producer state is rebuilt (tests, tools). */
  async whenLoaded(log: object): Promise<void> {
    if (this.ready(log)) return;
    await this.loading.get(log);
  }

  /** The producer state of a partition log, created empty on first use. */
  stateOf(log: object): PartitionProducerState {
    let state = this.states.get(log);
    if (!state) {
      state = new PartitionProducerState();
      this.states.set(log, state);
    }
    return state;
  }

  beforeAppend(topic: string, partition: number, records: Buffer): GuardVerdict {
    const batch = idempotentBatch(records);
    if (!batch) {
      if (records.length >= BATCH_HEADER_SIZE && records.readInt16BE(BATCH_OFFSET.attributes) & ATTRIBUTE.transactional) {
        return { errorCode: ErrorCode.INVALID_RECORD, message: 'a transactional batch needs a producer id' };
      }
      return null;
    }
    // Transactional batches were admitted by the transaction coordinator (partition-append.ts); their sequences are checked here.
    if (batch.control) return { errorCode: ErrorCode.INVALID_RECORD, message: 'clients may not produce control batches' };
    if (batch.batchCount === 'many') {
      // As Kafka's ProduceRequest validation: an idempotent partition payload is exactly one batch.
      return { errorCode: ErrorCode.INVALID_RECORD, message: 'an idempotent produce must carry exactly one record batch per partition' };
    }
    const log = this.partitionOf(topic, partition);
    if (!log) return null; // the handler answers UNKNOWN_TOPIC_OR_PARTITION
    this.touched.set(`${partition}:${topic}`, { topic, partition, log });
    if (!this.ready(log)) {
      // Retriable and certainly not appended: the producer retries the same sequence shortly.
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: 'rebuilding idempotent-producer state for this partition after a restart; retry' };
    }
    const state = this.stateOf(log);
    const verdict = state.check(batch);
    switch (verdict.kind) {
      case 'append':
        state.begin(batch);
        return null;
      case 'duplicate':
        return { duplicateOf: verdict.baseOffset };
      case 'in-flight':
        return { errorCode: ErrorCode.REQUEST_TIMED_OUT, message: 'the first copy of this batch is still being appended; retry' };
      case 'reject':
        return { errorCode: verdict.errorCode, message: verdict.message };
    }
  }

  afterAppend(topic: string, partition: number, records: Buffer, baseOffset: bigint): void {
    const batch = idempotentBatch(records);
    const log = this.partitionOf(topic, partition);
    if (batch && log) this.stateOf(log).complete(batch, baseOffset);
  }

  appendFailed(topic: string, partition: number, records: Buffer): void {
    const batch = idempotentBatch(records);
    const log = this.partitionOf(topic, partition);
    if (batch && log) this.stateOf(log).abort(batch);
  }

  /** The loaded state of every partition idempotent producers wrote to (for a clean-shutdown snapshot). */
  snapshot(): { topic: string; partition: number; log: object; producers: ProducerSnapshot[] }[] {
    const out = [];
    for (const { topic, partition, log } of this.touched.values()) {
      if (this.partitionOf(topic, partition) !== log || !this.loaded.has(log)) continue;
      const state = this.states.get(log);
      if (state) out.push({ topic, partition, log, producers: state.snapshot() });
    }
    return out;
  }

  /**
   * Rebuilds one partition's state from whole batches read from its log (recovery). Returns the highest
   * producer id seen, so the id allocator never hands it out again.
   */
  replay(log: object, batches: Buffer): bigint {
    const state = this.stateOf(log);
    let maxProducerId = -1n;
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= batches.length) {
      const h = readBatchHeader(batches, pos);
      if (h.sizeInBytes < BATCH_HEADER_SIZE || pos + h.sizeInBytes > batches.length) break;
      if (h.producerId >= 0n) {
        if (h.producerId > maxProducerId) maxProducerId = h.producerId;
        if ((h.attributes & ATTRIBUTE.control) === 0) state.replay(h, h.baseOffset);
      }
      pos += h.sizeInBytes;
    }
    return maxProducerId;
  }
}
