/**
 * TxnOffsetCommit (key 28), v0–4: offsets a transactional producer commits for a consumer group. They are
 * held by the transaction and stored (visible to OffsetFetch) only when it commits; an abort drops them.
 * v3+ carry the member's generation, which is checked as OffsetCommit checks it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import type { OffsetToCommit } from '../groups/offset-store.js';
import { AclOperation, allowedOnGroup, allowedOnTransactionalId, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';
import { fencedAs, transactionsOf } from './txn-support.js';

/** Kafka's offset.metadata.max.bytes default; the group coordinator's setting when it runs. */
const DEFAULT_MAX_METADATA = 4096;

export const txnOffsetCommitHandler = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  codec: TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req, version) {
    const txns = transactionsOf(ctx);
    // ACLs (none without --authorizer): WRITE on the transactional id, READ on the group, READ on each topic.
    const everyPartition = (errorCode: number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (!allowedOnTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return everyPartition(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!allowedOnGroup(ctx, AclOperation.READ, req.groupId)) return everyPartition(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = refusedTopics(ctx, AclOperation.READ, req.topics.map((t) => t.name));
    const maxMetadata = ctx.broker.services.groups?.config.offsetMetadataMaxBytes ?? DEFAULT_MAX_METADATA;
    const errors = new Map<string, number>();
    const key = (topic: string, partition: number) => `${partition}:${topic}`;
    const offsets: OffsetToCommit[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        let code: number = ErrorCode.NONE;
        if (refused.has(t.name)) code = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (!ctx.broker.topics.partition(t.name, p.partitionIndex)) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (p.committedMetadata !== null && Buffer.byteLength(p.committedMetadata) > maxMetadata) code = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        if (code !== ErrorCode.NONE) errors.set(key(t.name, p.partitionIndex), code);
        else offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata });
      }
    }
    const member = {
      groupId: req.groupId,
      generationId: version >= 3 ? req.generationId : -1,
      memberId: version >= 3 ? req.memberId : '',
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
    };
    const code = fencedAs(await txns.txnOffsetCommit(req.transactionalId, req.producerId, req.producerEpoch, member, offsets), version, 3);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(key(t.name, p.partitionIndex)) ?? code })),
      })),
    };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});
