/**
 * Appending one partition's record batches as Produce does, shared by the Produce handler and the in-process
 * link so both paths get the same checks: transactional batches refused without a producer-state guard, the
 * idempotence guard's verdict (a duplicate gets its original offset back), the coalesced log append (which
 * validates length and CRC32C natively and assigns offsets), and error codes instead of exceptions.
 */
import { ATTRIBUTE, BATCH_LENGTH_PREFIX, BATCH_OFFSET } from '../protocol/batch-header.js';
import { ErrorCode } from '../protocol/errors.js';
import { coalescedAppend } from './append-coalescer.js';
import type { BrokerContext } from './context.js';
import './txn/service.js';
import type { Logger } from 'pino';

export type PartitionAppendResult =
  | { readonly ok: true; readonly baseOffset: bigint; readonly logAppendTime: bigint; readonly logStartOffset: bigint }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

export interface PartitionAppendOptions {
  /** Why the caller is shutting down, if it is: a failed append is then BROKER_NOT_AVAILABLE, not a disk error. */
  closing?: () => string | undefined;
}

function refused(errorCode: number, message: string): PartitionAppendResult {
  return { ok: false, errorCode, message };
}

/** Whether any batch in `records` has the transactional attribute bit set. */
export function hasTransactionalBatch(records: Buffer): boolean {
  let pos = 0;
  while (pos + BATCH_OFFSET.attributes + 2 <= records.length) {
    if ((records.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.transactional) !== 0) return true;
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size <= BATCH_LENGTH_PREFIX) return false;
    pos += size;
  }
  return false;
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
  const guard = broker.services.produceGuard;
  if (hasTransactionalBatch(records)) {
    // Accepted only from a producer whose ongoing transaction includes the partition (src/broker/txn).
    const txns = broker.services.transactions;
    const refusal = txns ? txns.checkProduce(topic, index, records) : { errorCode: ErrorCode.INVALID_RECORD, message: 'this broker runs no transaction coordinator; produce without a transactional id' };
    if (refusal) {
      logger.info({ topic, partition: index, errorCode: refusal.errorCode }, `produce rejected: ${refusal.message}`);
      return refused(refusal.errorCode, refusal.message);
    }
  }
  if (guard) {
    const verdict = guard.beforeAppend(topic, index, records);
    if (verdict && 'errorCode' in verdict) return refused(verdict.errorCode, verdict.message ?? 'refused by the idempotent-producer checks');
    if (verdict && 'duplicateOf' in verdict) return { ok: true, baseOffset: verdict.duplicateOf, logAppendTime: -1n, logStartOffset: log.logStartOffset };
  }
  try {
    const appended = await coalescedAppend(log, records);
    guard?.afterAppend?.(topic, index, records, appended.baseOffset);
    return { ok: true, baseOffset: appended.baseOffset, logAppendTime: appended.logAppendTime, logStartOffset: appended.logStartOffset };
  } catch (err) {
    guard?.appendFailed?.(topic, index, records);
    const message = (err as Error).message;
    // Queued before the broker began to close, refused by the closed log: a shutdown, not a disk error.
    const closing = options.closing?.();
    if (closing) return refused(ErrorCode.BROKER_NOT_AVAILABLE, `${closing} before the batch was written (${message})`);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') {
      logger.info({ topic, partition: index, errorCode: code }, `produce rejected: ${message}`);
      return refused(code, message);
    }
    logger.error({ err, topic, partition: index }, 'append failed');
    return refused(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }
}
