/**
 * Appending one partition's record batches as Produce does, shared by the Produce handler and the in-process
 * link so both paths get the same checks: every batch's header (produce-batch-checks.ts), the idempotence
 * guard's verdict (a duplicate gets its original offset back), the record count of compressed batches
 * (inflated within the topic's limit, off the event loop), the coalesced log append (which validates CRC32C
 * natively and assigns offsets), and error codes instead of exceptions.
 */
import { ErrorCode, errorCodeOf } from '../protocol/errors.js';
import { coalescedAppend } from './append-coalescer.js';
import type { BrokerContext } from './context.js';
import { checkCompressedBatches, inflateLimit } from './log/compressed-batch.js';
import type { AppendResult, PartitionLog } from './log/partition-log.js';
import { checkProducedBatches, isRefusal } from './produce-batch-checks.js';
import { checkBatchTimestamps, needsRecompression, recompressPayload } from './topic-append-policy.js';
import './txn/service.js';
import type { Logger } from 'pino';

export type PartitionAppendResult =
  | { readonly ok: true; readonly baseOffset: bigint; readonly logAppendTime: bigint; readonly logStartOffset: bigint }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

export interface PartitionAppendOptions {
  /** Why the caller is shutting down, if it is: a failed append is then BROKER_NOT_AVAILABLE, not a disk error. */
  closing?: () => string | undefined;
  /** The Produce request's version (codec rules depend on it); unset for the in-process link. */
  produceVersion?: number;
  /**
   * The in-process link only: EventBatchBuilder sealed the batch in this process a moment ago and no socket
   * lies in between, so the log does not recompute its CRC32C (link/sealed-batches.ts). Headers and offsets
   * are still checked, and recovery verifies the CRC as always. Never set for anything that came over a socket.
   */
  sealedInProcess?: boolean;
}

function refused(errorCode: number, message: string): PartitionAppendResult {
  return { ok: false, errorCode, message };
}

/**
 * Appends of a partition that wait for an asynchronous check (compressed batches being inflated), and the
 * point after which the next append of the partition may be queued. Appends must reach the log in arrival
 * order (offsets, idempotent sequences), so while one waits, later ones queue behind it; when none waits,
 * an append goes straight to the log with no extra cost.
 */
interface OrderGate {
  waiting: number;
  /** Resolves once the last append in line has been queued to the log (or refused). */
  tail: Promise<void>;
}
const gates = new WeakMap<PartitionLog, OrderGate>();

function appendInOrder(log: PartitionLog, check: Promise<void> | undefined, append: () => Promise<AppendResult>): Promise<AppendResult> {
  let gate = gates.get(log);
  if (!check && !gate) return append();
  if (!gate) gates.set(log, (gate = { waiting: 0, tail: Promise.resolve() }));
  const g = gate;
  const previous = g.tail;
  let queued!: () => void;
  g.tail = new Promise<void>((resolve) => (queued = resolve));
  g.waiting++;
  check?.catch(() => {}); // awaited below, possibly after it settles
  return (async () => {
    try {
      await previous;
      await check;
      return append(); // queued to the log before the next in line may go
    } finally {
      queued();
      if (--g.waiting === 0 && gates.get(log) === g) gates.delete(log);
    }
  })();
}

export async function appendToPartition(
  broker: BrokerContext,
  logger: Logger,
  topic: string,
  index: number,
  records: Buffer | null,
  options: PartitionAppendOptions = {},
): Promise<PartitionAppendResult> {
  const log = broker.topics.partition(topic, index);
  if (!log) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${index} of topic "${topic}"`);
  if (!records || records.length === 0) return refused(ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  const payload = checkProducedBatches(records, options.produceVersion);
  if (isRefusal(payload)) {
    broker.services.metrics?.appendRefused(payload.errorCode, payload.message);
    logger.info({ topic, partition: index, errorCode: payload.errorCode }, `produce rejected: ${payload.message}`);
    return refused(payload.errorCode, payload.message);
  }
  // Topic policies (topic-append-policy.ts): header-only timestamp bounds; recompression only when the
  // topic's compression.type differs from what was sent (never with the default `producer`).
  const late = checkBatchTimestamps(records, payload.batches, log.config, Date.now());
  if (late) {
    logger.info({ topic, partition: index, errorCode: late.errorCode }, `produce rejected: ${late.message}`);
    return refused(late.errorCode, late.message);
  }
  const recompress = needsRecompression(records, payload.batches, log.config);
  if (payload.transactional) {
    // Accepted only from a producer whose ongoing transaction includes the partition (src/broker/txn).
    const txns = broker.services.transactions;
    const refusal = txns ? txns.checkProduce(topic, index, records) : { errorCode: ErrorCode.INVALID_RECORD, message: 'this broker runs no transaction coordinator; produce without a transactional id' };
    if (refusal) {
      logger.info({ topic, partition: index, errorCode: refusal.errorCode }, `produce rejected: ${refusal.message}`);
      return refused(refusal.errorCode, refusal.message);
    }
  }
  const guard = broker.services.produceGuard;
  if (guard) {
    const verdict = guard.beforeAppend(topic, index, records);
    if (verdict && 'errorCode' in verdict) return refused(verdict.errorCode, verdict.message ?? 'refused by the idempotent-producer checks');
    if (verdict && 'duplicateOf' in verdict) return { ok: true, baseOffset: verdict.duplicateOf, logAppendTime: -1n, logStartOffset: log.logStartOffset };
  }
  const limit = inflateLimit(log.config.maxMessageBytes, broker.config.maxInflatedBatchBytes);
  let stored = records;
  const check = recompress
    ? recompressPayload(records, payload.batches, log.config, limit).then((b) => void (stored = b))
    : payload.compressed
      ? checkCompressedBatches(records, payload.batches, limit)
      : undefined;
  try {
    const appended = await appendInOrder(log, check, () => coalescedAppend(log, stored, options.sealedInProcess === true && stored === records));
    guard?.afterAppend?.(topic, index, stored, appended.baseOffset);
    broker.services.metrics?.appended(log, stored);
    return { ok: true, baseOffset: appended.baseOffset, logAppendTime: appended.logAppendTime, logStartOffset: appended.logStartOffset };
  } catch (err) {
    guard?.appendFailed?.(topic, index, records);
    const message = (err as Error).message;
    // Queued before the broker began to close, refused by the closed log: a shutdown, not a disk error.
    const closing = options.closing?.();
    if (closing) return refused(ErrorCode.BROKER_NOT_AVAILABLE, `${closing} before the batch was written (${message})`);
    const code = errorCodeOf(err, undefined);
    if (code !== undefined) {
      broker.services.metrics?.appendRefused(code, message);
      logger.info({ topic, partition: index, errorCode: code }, `produce rejected: ${message}`);
      return refused(code, message);
    }
    logger.error({ err, topic, partition: index }, 'append failed');
    return refused(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }
}
