/**
 * Produce (key 0), v3–11 (record batches v2 only).
 *
 * Every batch of each partition is checked at the header level (appendToPartition), compressed batches are
 * inflated within the topic's limit to count their records, then the partition log validates CRC32C
 * natively, assigns offsets in place and appends. Failures are per-partition error codes; the connection
 * stays up. acks=0 sends no response, and if any partition was refused the connection is closed instead,
 * as Kafka does, so the producer notices. Appends are queued in request order, so pipelined requests land
 * in the order they were sent.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../../protocol/messages/produce.js';
import type { RequestContext } from '../context.js';
import { appendToPartition } from '../partition-append.js';
import { topicNameProblem } from '../topic-name.js';
import { AclOperation, allowedOnTransactionalId, refusedTopics } from '../acl/check.js';
import { ATTRIBUTE, BATCH_HEADER_SIZE, BATCH_OFFSET } from '../../protocol/batch-header.js';
import { CloseConnection } from './close-connection.js';
import { throttle } from '../quotas/throttle.js';
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

async function appendPartition(ctx: RequestContext, topic: string, index: number, records: Buffer | null): Promise<PartitionOut> {
  const r = await appendToPartition(ctx.broker, ctx.logger, topic, index, records, { produceVersion: ctx.apiVersion });
  if (!r.ok) return partitionResult(index, r.errorCode, r.message);
  return partitionResult(index, 0, null, r.baseOffset, r.logAppendTime, r.logStartOffset);
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  codec: Produce,
  minVersion: 3,
  maxVersion: 11,
  // The log copies records into the page cache before append resolves, and the guard must not keep them.
  recyclesRequest: true,
  async handle(ctx, req) {
    const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
    // ACLs (no-ops without --authorizer): transactional records need WRITE on their transactional id,
    // every topic WRITE on the topic (Kafka's KafkaApis.handleProduceRequest).
    const authorizer = ctx.broker.services.authorizer;
    if (authorizer && hasTransactionalRecords(req) && (req.transactionalId === null || !allowedOnTransactionalId(ctx, AclOperation.WRITE, req.transactionalId))) {
      return produceError(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `${ctx.principal} may not WRITE transactional id ${String(req.transactionalId)}`);
    }
    const refused = authorizer ? refusedTopics(ctx, AclOperation.WRITE, req.topicData.map((t) => t.name)) : null;
    // Every append is started before the first await, so appends keep request order.
    const pending = req.topicData.map((t) => {
      const nameProblem = topicNameProblem(t.name);
      return {
        name: t.name,
        partitions: t.partitionData.map((p) => {
          if (refused?.has(t.name)) return Promise.resolve(partitionResult(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null));
          if (!acksValid) return Promise.resolve(partitionResult(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${req.acks}`));
          if (nameProblem) return Promise.resolve(partitionResult(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem));
          return appendPartition(ctx, t.name, p.index, p.records);
        }),
      };
    });
    const responses: TopicOut[] = [];
    for (const t of pending) responses.push({ name: t.name, partitionResponses: await Promise.all(t.partitions) });
    // producer_byte_rate (src/broker/quotas): a client over its quota gets its answer late, with the delay.
    let bytes = 0;
    for (const t of req.topicData) for (const p of t.partitionData) bytes += p.records?.length ?? 0;
    const throttleTimeMs = await throttle(ctx, 'producer_byte_rate', bytes);
    if (req.acks === 0) {
      for (const t of responses) {
        const bad = t.partitionResponses.find((p) => p.errorCode !== 0);
        if (bad) return new CloseConnection(`acks=0 produce to ${t.name}-${bad.index} refused (error ${bad.errorCode}: ${bad.errorMessage ?? ''})`);
      }
      return null;
    }
    return { responses, throttleTimeMs, nodeEndpoints: [] };
  },
  errorResponse(req, _version, errorCode, message) {
    return produceError(req, errorCode, message);
  },
});

function produceError(req: ProduceRequest, errorCode: number, message: string): ProduceResponse {
  // No response to send, so the connection is closed instead (the CloseConnection answer, as in handle).
  if (req.acks === 0) return new CloseConnection(`acks=0 produce failed (error ${errorCode}: ${message})`) as unknown as ProduceResponse;
  return {
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionResult(p.index, errorCode, message)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  };
}

/** Whether any partition's first batch is transactional (as Kafka's RequestUtils.hasTransactionalRecords). */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const r = p.records;
      if (r && r.length >= BATCH_HEADER_SIZE && (r.readInt16BE(BATCH_OFFSET.attributes) & ATTRIBUTE.transactional) !== 0) return true;
    }
  }
  return false;
}
