/**
 * AddPartitionsToTxn (key 24), v0–5. v0–3 is the client form (one transaction); v4–5 is the batched form
 * brokers send to verify or add partitions for several transactions at once (KIP-890). Kafka serves v4+
 * only to callers with CLUSTER_ACTION permission; this broker has no authorizer, so, like Kafka without
 * one, it serves any caller, per transaction, with verify_only honoured.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  AddPartitionsToTxn,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnRequestTopic,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnResponseTopicResult,
} from '../../protocol/messages/add-partitions-to-txn.js';
import { partitionKey } from '../txn/txn-metadata.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnCluster, allowedOnTransactionalId, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

function flatten(topics: readonly AddPartitionsToTxnRequestTopic[]): { topic: string; partition: number }[] {
  return topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
}

function results(topics: readonly AddPartitionsToTxnRequestTopic[], codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name, partitionIndex) })) }));
}

/**
 * ACLs (none without --authorizer), as Kafka: WRITE on the transactional id, else every partition gets
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED; then WRITE on each topic, and when one is refused the others get
 * OPERATION_NOT_ATTEMPTED. Returns the error per partition, or null to go ahead.
 */
function refusal(ctx: RequestContext, transactionalId: string, topics: readonly AddPartitionsToTxnRequestTopic[]): ((topic: string) => number) | null {
  if (!ctx.broker.services.authorizer) return null;
  if (!allowedOnTransactionalId(ctx, AclOperation.WRITE, transactionalId)) return () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  const refused = refusedTopics(ctx, AclOperation.WRITE, topics.map((t) => t.name));
  if (refused.size === 0) return null;
  return (topic) => (refused.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED);
}

export const addPartitionsToTxnHandler = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  codec: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    const txns = transactionsOf(ctx);
    if (version <= 3) {
      const refused = refusal(ctx, req.v3AndBelowTransactionalId, req.v3AndBelowTopics);
      if (refused) return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, refused) };
      const codes = await txns.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, flatten(req.v3AndBelowTopics));
      const codeOf = (topic: string, partition: number) => fencedAs(codes.get(partitionKey(topic, partition)) ?? ErrorCode.NONE, version, 2);
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, codeOf) };
    }
    // v4+ is the brokers' batched form: it needs CLUSTER_ACTION.
    if (!allowedOnCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
    const resultsByTransaction = [];
    for (const t of req.transactions) {
      const refused = refusal(ctx, t.transactionalId, t.topics);
      if (refused) {
        resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: results(t.topics, refused) });
        continue;
      }
      const parts = flatten(t.topics);
      const codes = t.verifyOnly ? txns.verifyPartitions(t.transactionalId, t.producerId, t.producerEpoch, parts) : await txns.addPartitions(t.transactionalId, t.producerId, t.producerEpoch, parts);
      resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: results(t.topics, (topic, partition) => codes.get(partitionKey(topic, partition)) ?? ErrorCode.NONE) });
    }
    return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
  errorResponse(req, version, errorCode) {
    if (version <= 3) return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, () => errorCode) };
    return { throttleTimeMs: 0, errorCode, resultsByTransaction: [], resultsByTopicV3AndBelow: [] };
  },
});
