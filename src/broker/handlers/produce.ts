/**
 * Produce (key 0), v3–11 (record batches v2 only).
 *
 * Each partition's records are checked at the header level here (magic, size limit, transactions), then
 * handed to the partition log, which validates length and CRC32C natively, assigns offsets in place and
 * appends. Failures are per-partition error codes; the connection stays up. acks=0 sends no response.
 * Appends are queued synchronously in request order, so pipelined requests land in the order they were sent.
 */
import { ATTRIBUTE, BATCH_OFFSET, BATCH_LENGTH_PREFIX } from '../../protocol/batch-header.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../../protocol/messages/produce.js';
import { coalescedAppend } from '../append-coalescer.js';
import type { RequestContext } from '../context.js';
import { topicNameProblem } from '../topic-name.js';
import { defineHandler } from './handler.js';

type TopicOut = ProduceResponse['responses'][number];
type PartitionOut = TopicOut['partitionResponses'][number];

function partitionResult(index: number, errorCode: number, errorMessage: string | null = null, baseOffset = -1n, logAppendTimeMs = -1n, logStartOffset = -1n): PartitionOut {
  return {
    index,
    errorCode,
    baseOffset,
    logAppendTimeMs,
    logStartOffset,
    recordErrors: [],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

/** Whether any v2 batch in `records` is transactional (walks headers only; the log validates the rest). */
function hasTransactionalBatch(records: Buffer): boolean {
  let pos = 0;
  while (pos + BATCH_OFFSET.attributes + 2 <= records.length) {
    if (records.readInt8(pos + BATCH_OFFSET.magic) !== 2) return false;
    if (records.readInt16BE(pos + BATCH_OFFSET.attributes) & ATTRIBUTE.transactional) return true;
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (size <= BATCH_LENGTH_PREFIX) return false;
    pos += size;
  }
  return false;
}

async function appendPartition(ctx: RequestContext, topic: string, index: number, records: Buffer | null): Promise<PartitionOut> {
  const log = ctx.broker.topics.partition(topic, index);
  if (!log) return partitionResult(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no partition ${index} of topic "${topic}"`);
  if (!records || records.length === 0) return partitionResult(index, ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  const guard = ctx.broker.services.produceGuard;
  if (!guard && hasTransactionalBatch(records)) {
    const message = 'transactional batches are not supported by this broker yet; produce without a transactional id';
    ctx.logger.info({ topic, partition: index }, `produce rejected: ${message}`);
    return partitionResult(index, ErrorCode.INVALID_RECORD, message);
  }
  if (guard) {
    const verdict = guard.beforeAppend(topic, index, records);
    if (verdict && 'errorCode' in verdict) return partitionResult(index, verdict.errorCode, verdict.message ?? null);
    if (verdict && 'duplicateOf' in verdict) return partitionResult(index, 0, null, verdict.duplicateOf, -1n, log.logStartOffset);
  }
  try {
    const appended = await coalescedAppend(log, records);
    guard?.afterAppend?.(topic, index, records, appended.baseOffset);
    return partitionResult(index, 0, null, appended.baseOffset, appended.logAppendTime, appended.logStartOffset);
  } catch (err) {
    guard?.appendFailed?.(topic, index, records);
    const code = (err as { code?: unknown }).code;
    const message = (err as Error).message;
    if (typeof code === 'number') {
      ctx.logger.info({ topic, partition: index, errorCode: code }, `produce rejected: ${message}`);
      return partitionResult(index, code, message);
    }
    ctx.logger.error({ err, topic, partition: index }, 'append failed');
    return partitionResult(index, ErrorCode.KAFKA_STORAGE_ERROR, message);
  }
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  codec: Produce,
  minVersion: 3,
  maxVersion: 11,
  // The log copies records into the page cache before append resolves, and the guard must not keep them.
  recyclesRequest: true,
  async handle(ctx, req) {
    const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
    // Every append is started before the first await, so appends keep request order.
    const pending = req.topicData.map((t) => {
      const nameProblem = topicNameProblem(t.name);
      return {
        name: t.name,
        partitions: t.partitionData.map((p) => {
          if (!acksValid) return Promise.resolve(partitionResult(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${req.acks}`));
          if (nameProblem) return Promise.resolve(partitionResult(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem));
          return appendPartition(ctx, t.name, p.index, p.records);
        }),
      };
    });
    const responses: TopicOut[] = [];
    for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
  errorResponse(req, _version, errorCode, message) {
    if (req.acks === 0) return null as unknown as ProduceResponse;
    return {
      responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResult(p.index, errorCode, message)) })),
      throttleTimeMs: 0,
      nodeEndpoints: [],
    };
  },
});
