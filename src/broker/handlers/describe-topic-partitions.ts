/**
 * DescribeTopicPartitions (key 75), v0: topics (all when none are named) sorted by name, with their
 * partitions, paged by `responsePartitionLimit` and a cursor (KIP-966).
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeTopicPartitions,
  createDescribeTopicPartitionsResponse,
  createDescribeTopicPartitionsResponseTopic,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '../../protocol/messages/describe-topic-partitions.js';
import { AclOperation, allowedOnTopic } from '../acl/check.js';
import { defineHandler } from './handler.js';

type TopicOut = DescribeTopicPartitionsResponse['topics'][number];

export const describeTopicPartitionsHandler = defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  codec: DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const b = ctx.broker;
    // ACLs (none without --authorizer): DESCRIBE on each topic; all topics means those the principal may describe.
    const names = req.topics.length > 0 ? [...new Set(req.topics.map((t) => t.name))] : b.topics.list().map((t) => t.name).filter((n) => allowedOnTopic(ctx, AclOperation.DESCRIBE, n));
    names.sort();
    const limit = req.responsePartitionLimit > 0 ? req.responsePartitionLimit : 2000;
    const cursor = req.cursor;
    let budget = limit;
    const topics: TopicOut[] = [];
    let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
    for (const name of names) {
      if (cursor && name < cursor.topicName) continue;
      if (!allowedOnTopic(ctx, AclOperation.DESCRIBE, name)) {
        topics.push(createDescribeTopicPartitionsResponseTopic({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name }));
        continue;
      }
      const info = b.topics.get(name);
      if (!info) {
        topics.push(createDescribeTopicPartitionsResponseTopic({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name }));
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
      topics.push(createDescribeTopicPartitionsResponseTopic({ name, topicId: info.id, partitions }));
      if (i < info.partitions) {
        nextCursor = { topicName: name, partitionIndex: i };
        break;
      }
    }
    return createDescribeTopicPartitionsResponse({ topics, nextCursor });
  },
  errorResponse(req, _version, errorCode) {
    return createDescribeTopicPartitionsResponse({ topics: req.topics.map((t) => createDescribeTopicPartitionsResponseTopic({ errorCode, name: t.name })) });
  },
});
