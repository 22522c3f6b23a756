/**
 * DescribeTopicPartitions (key 75), v0: topics (all when none are named) sorted by name, with their
 * partitions, paged by `responsePartitionLimit` and a cursor (KIP-966).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import {
  DescribeTopicPartitions,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '../../protocol/messages/describe-topic-partitions.js';
import { defineHandler } from './handler.js';

type TopicOut = DescribeTopicPartitionsResponse['topics'][number];
const NO_OPERATIONS = -2147483648;

export const describeTopicPartitionsHandler = defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  codec: DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const b = ctx.broker;
    const names = req.topics.length > 0 ? [...new Set(req.topics.map((t) => t.name))] : b.topics.list().map((t) => t.name);
    names.sort();
    const limit = req.responsePartitionLimit > 0 ? req.responsePartitionLimit : 2000;
    const cursor = req.cursor;
    let budget = limit;
    const topics: TopicOut[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of names) {
      if (cursor && name < cursor.topicName) continue;
      const info = b.topics.get(name);
      if (!info) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPERATIONS });
        continue;
      }
      const first = cursor && name === cursor.topicName ? Math.max(0, cursor.partitionIndex) : 0;
      if (budget === 0) {
        nextCursor = { topicName: name, partitionIndex: first };
        break;
      }
      const partitions: TopicOut['partitions'] = [];
      let i = first;
      for (; i < info.partitions && budget > 0; i++, budget--) {
        partitions.push({
          errorCode: 0,
          partitionIndex: i,
          leaderId: b.nodeId,
          leaderEpoch: 0,
          replicaNodes: [b.nodeId],
          isrNodes: [b.nodeId],
          eligibleLeaderReplicas: null,
          lastKnownElr: null,
          offlineReplicas: [],
        });
      }
      topics.push({ errorCode: 0, name, topicId: info.id, isInternal: false, partitions, topicAuthorizedOperations: NO_OPERATIONS });
      if (i < info.partitions) {
        nextCursor = { topicName: name, partitionIndex: i };
        break;
      }
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPERATIONS })),
      nextCursor: null,
    };
  },
});
