/**
 * Idempotent-producer bookkeeping for one partition: per producer id, its current epoch and the sequence
 * ranges and offsets of its last five batches. Pure (no I/O), so the rules are unit-testable.
 *
 * Rules, as Kafka's ProducerStateManager applies them to client appends:
 * - an epoch older than the partition's current epoch for that producer → INVALID_PRODUCER_EPOCH;
 * - a batch whose sequence range equals a cached batch of the same epoch is a retry: it is not appended
 *   again and gets the original base offset back;
 * - otherwise its first sequence must follow the last one (wrapping at 2^31-1 to 0) → else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch must start at sequence 0;
 * - a producer the partition has never seen (or whose state was lost) may start at any sequence.
 */
import { ErrorCode } from '../../protocol/errors.js';

/** Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection ≤ 5). */
export const CACHED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;

export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Records in the batch minus one (the header's lastOffsetDelta). */
  lastOffsetDelta: number;
}

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  /** null while the append is still in flight. */
  baseOffset: bigint | null;
}

interface ProducerEntry {
  epoch: number;
  /** Oldest first: at most CACHED_BATCHES appended ones, and the appends still in flight. */
  batches: CachedBatch[];
  /** Wall-clock ms of the last batch recorded, for expiry. */
  lastUsed: number;
}

/**
 * Keeps the last CACHED_BATCHES appended batches. Appends still in flight do not count: one that fails is
 * forgotten, and it must not have pushed out an appended batch whose retry is then refused instead of
 * answered as a duplicate.
 */
function trimAppended(entry: ProducerEntry): void {
  let appended = 0;
  for (const c of entry.batches) if (c.baseOffset !== null) appended++;
  while (appended > CACHED_BATCHES) {
    entry.batches.splice(entry.batches.findIndex((c) => c.baseOffset !== null), 1);
    appended--;
  }
}

/** producer.id.expiration.ms: a producer silent this long is forgotten (then treated as new). */
export const PRODUCER_EXPIRATION_MS = 24 * 60 * 60 * 1000;
/** Look for expired producers once per this many recorded batches (no timers). */
const SWEEP_EVERY = 1024;

/** One producer's state as written to a clean-shutdown snapshot. */
export interface ProducerSnapshot {
  producerId: bigint;
  epoch: number;
  lastUsed: number;
  batches: { firstSeq: number; lastSeq: number; baseOffset: bigint }[];
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint }
  /** A retry of a batch whose first append has not finished yet: the client should retry shortly. */
  | { kind: 'in-flight' }
  | { kind: 'reject'; errorCode: number; message: string };

/** The sequence number of the last record of a batch, wrapping like Kafka's `incrementSequence`. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1 : baseSequence + lastOffsetDelta;
}

export function followsSequence(previous: number, next: number): boolean {
  return next === (previous === INT32_MAX ? 0 : previous + 1);
}

export class PartitionProducerState {
  private readonly producers = new Map<bigint, ProducerEntry>();
  private sinceSweep = 0;

  constructor(private readonly expirationMs = PRODUCER_EXPIRATION_MS) {}

  get producerCount(): number {
    return this.producers.size;
  }

  /** Decides what to do with a batch; changes nothing. */
  check(b: ProducerBatch): SequenceVerdict {
    const entry = this.producers.get(b.producerId);
    if (!entry) return { kind: 'append' };
    if (b.producerEpoch < entry.epoch) {
      return {
        kind: 'reject',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${b.producerId} epoch ${b.producerEpoch} is older than its current epoch ${entry.epoch}`,
      };
    }
    if (b.producerEpoch > entry.epoch) {
      if (b.baseSequence === 0) return { kind: 'append' };
      return {
        kind: 'reject',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${b.producerId} started epoch ${b.producerEpoch} at sequence ${b.baseSequence}, not 0`,
      };
    }
    const last = lastSequence(b.baseSequence, b.lastOffsetDelta);
    const dup = entry.batches.find((c) => c.firstSeq === b.baseSequence && c.lastSeq === last);
    if (dup) return dup.baseOffset === null ? { kind: 'in-flight' } : { kind: 'duplicate', baseOffset: dup.baseOffset };
    const newest = entry.batches.at(-1);
    if (newest === undefined || followsSequence(newest.lastSeq, b.baseSequence)) return { kind: 'append' };
    return {
      kind: 'reject',
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      message: `producer ${b.producerId} epoch ${b.producerEpoch} sent sequence ${b.baseSequence}, expected ${newest.lastSeq === INT32_MAX ? 0 : newest.lastSeq + 1}`,
    };
  }

  /** Records a batch that `check` accepted and whose append has started (offset still unknown). */
  begin(b: ProducerBatch): void {
    this.record(b, null);
  }

  /** The append of a begun batch finished at `baseOffset`. */
  complete(b: ProducerBatch, baseOffset: bigint): void {
    const cached = this.find(b);
    if (!cached) return;
    cached.baseOffset = baseOffset;
    trimAppended(this.producers.get(b.producerId) as ProducerEntry);
  }

  /** The append of a begun batch failed: forget it, so a retry is judged afresh. */
  abort(b: ProducerBatch): void {
    const entry = this.producers.get(b.producerId);
    const cached = this.find(b);
    if (!entry || !cached) return;
    entry.batches.splice(entry.batches.indexOf(cached), 1);
  }

  /** Rebuilds state from a batch found in the log (recovery): no checks, the log is the truth. */
  replay(b: ProducerBatch, baseOffset: bigint): void {
    this.record(b, baseOffset);
  }

  private record(b: ProducerBatch, baseOffset: bigint | null, now = Date.now()): void {
    if (++this.sinceSweep >= SWEEP_EVERY) this.expire(now);
    let entry = this.producers.get(b.producerId);
    if (!entry || b.producerEpoch > entry.epoch) {
      entry = { epoch: b.producerEpoch, batches: [], lastUsed: now };
      this.producers.set(b.producerId, entry);
    }
    entry.lastUsed = now;
    entry.batches.push({ firstSeq: b.baseSequence, lastSeq: lastSequence(b.baseSequence, b.lastOffsetDelta), baseOffset });
    trimAppended(entry);
  }

  /** Every producer with its appended batches (in-flight ones are left out: they are not in the log). */
  snapshot(): ProducerSnapshot[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      epoch: e.epoch,
      lastUsed: e.lastUsed,
      batches: e.batches.filter((c): c is CachedBatch & { baseOffset: bigint } => c.baseOffset !== null),
    }));
  }

  static fromSnapshot(producers: readonly ProducerSnapshot[]): PartitionProducerState {
    const state = new PartitionProducerState();
    for (const p of producers) {
      state.producers.set(p.producerId, { epoch: p.epoch, lastUsed: p.lastUsed, batches: p.batches.map((b) => ({ ...b })) });
    }
    return state;
  }

  /** Forgets producers silent for longer than the expiration, keeping memory bounded on long runs. */
  expire(now = Date.now()): void {
    this.sinceSweep = 0;
    for (const [id, entry] of this.producers) {
      if (now - entry.lastUsed >= this.expirationMs && entry.batches.every((c) => c.baseOffset !== null)) this.producers.delete(id);
    }
  }

  private find(b: ProducerBatch): CachedBatch | undefined {
    const entry = this.producers.get(b.producerId);
    if (!entry || entry.epoch !== b.producerEpoch) return undefined;
    const last = lastSequence(b.baseSequence, b.lastOffsetDelta);
    return entry.batches.find((c) => c.firstSeq === b.baseSequence && c.lastSeq === last);
  }
}
