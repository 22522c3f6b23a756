/**
 * OffsetFetch (key 9), v0–9: committed offsets of a group (v8+: of several groups at once). A null topic
 * list (v2+) means every committed offset of the group; a partition without a commit gets offset -1.
 * Transactional offsets show once their transaction commits; require_stable (v7+) reports pending ones.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetFetch,
  createOffsetFetchResponse,
  createOffsetFetchResponsePartition,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../protocol/messages/offset-fetch.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import { coordinatorOf } from '../groups/handler-support.js';
import '../txn/service.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnGroup, allowedOnTopic, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';

/** With require_stable (v7+), offsets an open transaction holds for a partition: UNSTABLE_OFFSET_COMMIT (retriable). */
type Unstable = ((groupId: string, topic: string, partition: number) => boolean) | undefined;

function fetchTopics(groups: GroupCoordinator, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, version: number, unstable: Unstable = undefined) {
  return groups.fetchOffsets(groupId, topics && topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }))).map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) =>
      unstable?.(groupId, t.name, p.partition)
        ? createOffsetFetchResponsePartition({ partitionIndex: p.partition, committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT })
        : {
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: version >= 5 ? p.leaderEpoch : -1,
            metadata: p.metadata,
            errorCode: p.errorCode,
          },
    ),
  }));
}

/**
 * ACLs (none without --authorizer): DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED, checked by the
 * caller), then DESCRIBE on each topic: a requested topic that is refused gets TOPIC_AUTHORIZATION_FAILED
 * on its partitions; "all topics" leaves refused ones out.
 */
function fetchAuthorized(ctx: RequestContext, groups: GroupCoordinator, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, version: number, unstable: Unstable) {
  if (!ctx.broker.services.authorizer) return fetchTopics(groups, groupId, topics, version, unstable);
  if (topics === null) return fetchTopics(groups, groupId, null, version, unstable).filter((t) => allowedOnTopic(ctx, AclOperation.DESCRIBE, t.name));
  const refused = refusedTopics(ctx, AclOperation.DESCRIBE, topics.map((t) => t.name));
  const fetched = fetchTopics(groups, groupId, topics.filter((t) => !refused.has(t.name)), version, unstable);
  const denied = topics
    .filter((t) => refused.has(t.name))
    .map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => createOffsetFetchResponsePartition({ partitionIndex, committedOffset: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
  return [...fetched, ...denied];
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  codec: OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(ctx, req, version) {
    const groups = coordinatorOf(ctx);
    const txns = version >= 7 && req.requireStable ? ctx.broker.services.transactions : undefined;
    const unstable: Unstable = txns && ((groupId, topic, partition) => txns.hasPendingOffset(groupId, topic, partition));
    if (version >= 8) {
      return createOffsetFetchResponse({
        groups: req.groups.map((g) => {
          if (!allowedOnGroup(ctx, AclOperation.DESCRIBE, g.groupId)) return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          // v9 (KIP-848): a consumer-group member names itself and its epoch, which must be current.
          const memberError = version >= 9 ? groups.consumerGroups.validateOffsetFetch(g.groupId, g.memberId, g.memberEpoch) : ErrorCode.NONE;
          if (memberError !== ErrorCode.NONE) return { groupId: g.groupId, topics: [], errorCode: memberError };
          return { groupId: g.groupId, topics: fetchAuthorized(ctx, groups, g.groupId, g.topics, version, unstable), errorCode: ErrorCode.NONE };
        }),
      });
    }
    // v0-1 have no "all topics" form: an absent list is empty.
    const topics = version >= 2 ? req.topics : (req.topics ?? []);
    if (!allowedOnGroup(ctx, AclOperation.DESCRIBE, req.groupId)) return groupRefused(req, version);
    return createOffsetFetchResponse({ topics: fetchAuthorized(ctx, groups, req.groupId, topics, version, unstable) });
  },
  errorResponse(req, version, errorCode) {
    return offsetFetchError(req, version, errorCode);
  },
});

function groupRefused(req: OffsetFetchRequest, version: number): OffsetFetchResponse {
  return offsetFetchError(req, version, ErrorCode.GROUP_AUTHORIZATION_FAILED);
}

function offsetFetchError(req: OffsetFetchRequest, version: number, errorCode: number): OffsetFetchResponse {
  if (version >= 8) {
    return createOffsetFetchResponse({ groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) });
  }
  // Before v2 there is no top-level error: report it on every requested partition.
  const topics = (req.topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => createOffsetFetchResponsePartition({ partitionIndex, committedOffset: -1n, errorCode })),
  }));
  return createOffsetFetchResponse({ topics, errorCode });
}
