/**
 * DescribeProducers (key 61), v0: the idempotent and transactional producers each partition knows (the
 * state src/broker/producers keeps for sequence checks): producer id and epoch, the last sequence appended,
 * when it was appended (this broker records the wall-clock time of a producer's last batch, where Kafka
 * reports the batch's max timestamp), and the first offset of its open transaction, if any.
 *
 * ACLs (none without --authorizer): READ on each topic, checked before its partitions are looked up; a refused
 * topic's partitions get TOPIC_AUTHORIZATION_FAILED, as in Kafka.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeProducers,
  createDescribeProducersResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
} from '../../protocol/messages/describe-producers.js';
import type { RequestContext } from '../context.js';
import '../producers/service.js';
import '../txn/service.js';
import { AclOperation, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';

type PartitionOut = DescribeProducersResponse['topics'][number]['partitions'][number];

async function describePartition(ctx: RequestContext, topic: string, partitionIndex: number): Promise<PartitionOut> {
  const log = ctx.broker.topics.partition(topic, partitionIndex);
  if (!log) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no partition ${partitionIndex} of topic "${topic}"`, activeProducers: [] };
  const guard = ctx.broker.services.idempotence;
  if (!guard) return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] };
  await guard.whenLoaded(log);
  const txns = ctx.broker.services.transactions;
  const activeProducers = guard
    .stateOf(log)
    .snapshot()
    .map((p) => ({
      producerId: p.producerId,
      producerEpoch: p.epoch,
      lastSequence: p.batches.at(-1)?.lastSeq ?? -1,
      lastTimestamp: BigInt(p.lastUsed),
      coordinatorEpoch: -1,
      currentTxnStartOffset: txns?.partitions.firstOffset(log, p.producerId) ?? -1n,
    }));
  return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
}

export const describeProducersHandler = defineHandler<DescribeProducersRequest, DescribeProducersResponse>({
  codec: DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const refused = refusedTopics(ctx, AclOperation.READ, req.topics.map((t) => t.name));
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: refused.has(t.name)
          ? t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not READ topic "${t.name}"`, activeProducers: [] }))
          : await Promise.all(t.partitionIndexes.map((p) => describePartition(ctx, t.name, p))),
      })),
    );
    return createDescribeProducersResponse({ topics });
  },
  errorResponse(req, _version, errorCode, message) {
    return createDescribeProducersResponse({
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: message, activeProducers: [] })) })),
    });
  },
});
