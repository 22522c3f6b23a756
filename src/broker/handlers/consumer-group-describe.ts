/**
 * ConsumerGroupDescribe (key 69), v0: a KIP-848 group's epochs, assignor and members with their current
 * and target assignments. DESCRIBE on the group; a classic group gets GROUP_ID_NOT_FOUND, as Kafka 3.9.
 */
import {
  ConsumerGroupDescribe,
  createConsumerGroupDescribeResponse,
  createConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
} from '../../protocol/messages/consumer-group-describe.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, allowedOnGroup, authorizedOperations } from '../acl/check.js';
import { coordinatorOf } from '../groups/handler-support.js';
import type { Partitions } from '../groups/consumer-protocol/consumer-group.js';
import { defineHandler } from './handler.js';

type Described = ConsumerGroupDescribeResponse['groups'][number];

export const consumerGroupDescribeHandler = defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  codec: ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const coordinator = coordinatorOf(ctx);
    const topics = ctx.broker.topics;
    const described = (map: Partitions) => ({
      topicPartitions: [...map]
        .filter(([, parts]) => parts.size > 0)
        .map(([topicId, parts]) => ({ topicId, topicName: topics.byId(topicId)?.name ?? '', partitions: [...parts].sort((a, b) => a - b) })),
    });
    const groups = req.groupIds.map((groupId): Partial<Described> & { groupId: string } => {
      if (!allowedOnGroup(ctx, AclOperation.DESCRIBE, groupId)) return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
      const group = coordinator.consumerGroups.group(groupId);
      if (!group) {
        const classic = coordinator.group(groupId) !== undefined;
        return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.` };
      }
      const ops = req.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId) : undefined;
      return {
        groupId,
        groupState: group.state,
        groupEpoch: group.groupEpoch,
        assignmentEpoch: group.assignmentEpoch,
        assignorName: group.assignorName,
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.epoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: described(m.assigned),
          targetAssignment: described(group.target.get(m.memberId) ?? new Map()),
        })),
        ...(ops !== undefined ? { authorizedOperations: ops } : {}),
      };
    });
    return createConsumerGroupDescribeResponse({ groups: groups.map((g) => createConsumerGroupDescribeResponseDescribedGroup(g)) });
  },
  errorResponse(req, _version, errorCode, message) {
    return createConsumerGroupDescribeResponse({ groups: req.groupIds.map((groupId) => createConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode, errorMessage: message })) });
  },
});
