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
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

function flatten(topics: readonly AddPartitionsToTxnRequestTopic[]): { topic: string; partition: number }[] {
  return topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
}

function results(topics: readonly AddPartitionsToTxnRequestTopic[], codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name, partitionIndex) })) }));
}

export const addPartitionsToTxnHandler = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  codec: AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req, version) {
    const txns = transactionsOf(ctx);
    if (version <= 3) {
      const codes = await txns.addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, flatten(req.v3AndBelowTopics));
      const codeOf = (topic: string, partition: number) => fencedAs(codes.get(partitionKey(topic, partition)) ?? ErrorCode.NONE, version, 2);
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results(req.v3AndBelowTopics, codeOf) };
    }
    const resultsByTransaction = [];
    for (const t of req.transactions) {
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
