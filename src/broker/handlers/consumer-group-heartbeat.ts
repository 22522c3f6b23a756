/**
 * ConsumerGroupHeartbeat (key 68), v0–1: KIP-848's single group call (join, heartbeat, reconcile, leave);
 * the state machine lives in src/broker/groups/consumer-protocol. Needs READ on the group, and (as Kafka)
 * DESCRIBE on each subscribed topic name: refused topics answer TOPIC_AUTHORIZATION_FAILED.
 */
import {
  ConsumerGroupHeartbeat,
  createConsumerGroupHeartbeatResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/consumer-group-heartbeat.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, allowedOnGroup, refusedTopics } from '../acl/check.js';
import { clientHostOf, coordinatorOf } from '../groups/handler-support.js';
import type { TopicView } from '../groups/consumer-protocol/manager.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from './handler.js';

function topicViewOf(ctx: RequestContext): TopicView {
  const topics = ctx.broker.topics;
  return {
    byName: (name) => {
      const t = topics.get(name);
      return t ? { id: t.id, name: t.name, partitions: t.partitions } : undefined;
    },
    all: () => topics.list().map((t) => ({ id: t.id, name: t.name, partitions: t.partitions })),
  };
}

export const consumerGroupHeartbeatHandler = defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  codec: ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req, version) {
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) {
      return createConsumerGroupHeartbeatResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, memberEpoch: req.memberEpoch });
    }
    if (req.subscribedTopicNames !== null && refusedTopics(ctx, AclOperation.DESCRIBE, req.subscribedTopicNames).size > 0) {
      return createConsumerGroupHeartbeatResponse({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, memberEpoch: req.memberEpoch });
    }
    const groups = coordinatorOf(ctx).consumerGroups;
    const result = groups.heartbeat(
      {
        groupId: req.groupId,
        memberId: req.memberId,
        memberEpoch: req.memberEpoch,
        instanceId: req.instanceId,
        rackId: req.rackId,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        subscribedTopicNames: req.subscribedTopicNames,
        subscribedTopicRegex: version >= 1 ? req.subscribedTopicRegex : null,
        serverAssignor: req.serverAssignor,
        topicPartitions: req.topicPartitions,
        clientId: ctx.clientId ?? '',
        clientHost: clientHostOf(ctx),
      },
      topicViewOf(ctx),
    );
    // The new epoch and assignment are answered only once they are on disk, so a broker killed after this
    // answer still knows them when it comes back (a failed write is logged; the member may rejoin then).
    await groups.written().catch((err: unknown) => ctx.broker.logger.error({ err }, 'writing consumer-group state failed'));
    return createConsumerGroupHeartbeatResponse(result);
  },
  errorResponse(req, _version, errorCode, message) {
    return createConsumerGroupHeartbeatResponse({ errorCode, errorMessage: message, memberEpoch: req.memberEpoch });
  },
});
