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
        groups: req.groups.map((g) => ({ groupId: g.groupId, topics: fetchTopics(groups, g.groupId, g.topics, version, unstable), errorCode: ErrorCode.NONE })),
      });
    }
    // v0-1 have no "all topics" form: an absent list is empty.
    const topics = version >= 2 ? req.topics : (req.topics ?? []);
    return createOffsetFetchResponse({ topics: fetchTopics(groups, req.groupId, topics, version, unstable) });
  },
  errorResponse(req, version, errorCode) {
    if (version >= 8) {
      return createOffsetFetchResponse({ groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) });
    }
    // Before v2 there is no top-level error: report it on every requested partition.
    const topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => createOffsetFetchResponsePartition({ partitionIndex, committedOffset: -1n, errorCode })),
    }));
    return createOffsetFetchResponse({ topics, errorCode });
  },
});
