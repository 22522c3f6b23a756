/**
 * OffsetCommit (key 8), v0–9: stores committed offsets (with metadata and, v6+, the leader epoch) in the
 * durable offsets log, and answers once the write has landed (a failed write answers KAFKA_STORAGE_ERROR). Members must be of the current generation; a consumer outside any
 * group (generation -1, no member id) may commit for an empty group. Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION and over-long metadata OFFSET_METADATA_TOO_LARGE, each on its own.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { OffsetCommit, createOffsetCommitResponse, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetToCommit } from '../groups/offset-store.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { AclOperation, allowedOnGroup, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const offsetCommitHandler = defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  codec: OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req, version) {
    const groups = coordinatorOf(ctx);
    // ACLs (none without --authorizer): READ on the group, then READ on each topic.
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return everyPartition(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = refusedTopics(ctx, AclOperation.READ, req.topics.map((t) => t.name));
    const maxMetadata = groups.config.offsetMetadataMaxBytes;
    const errors = new Map<string, number>();
    const key = (topic: string, partition: number) => `${partition}:${topic}`;
    const offsets: OffsetToCommit[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        let code: number = ErrorCode.NONE;
        if (refused.has(t.name)) code = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (!ctx.broker.topics.partition(t.name, p.partitionIndex)) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > maxMetadata) code = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        if (code !== ErrorCode.NONE) {
          errors.set(key(t.name, p.partitionIndex), code);
          continue;
        }
        offsets.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
          // Kafka stores a null metadata as "" (OffsetFetch then returns "").
          metadata: p.committedMetadata ?? '',
        });
      }
    }
    const groupError = groups.commitOffsets({
      groupId: req.groupId,
      generationId: version >= 1 ? req.generationIdOrMemberEpoch : -1,
      memberId: version >= 1 ? req.memberId : '',
      groupInstanceId: version >= 7 ? req.groupInstanceId : null,
      offsets,
    });
    if (groupError === ErrorCode.NONE && offsets.length > 0) {
      try {
        await groups.offsetsWritten();
      } catch {
        return everyPartition(req, ErrorCode.KAFKA_STORAGE_ERROR);
      }
    }
    return createOffsetCommitResponse({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(key(t.name, p.partitionIndex)) ?? groupError })),
      })),
    });
  },
  errorResponse(req, _version, errorCode) {
    return everyPartition(req, errorCode);
  },
});

function everyPartition(req: OffsetCommitRequest, errorCode: number): OffsetCommitResponse {
  return createOffsetCommitResponse({
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  });
}
