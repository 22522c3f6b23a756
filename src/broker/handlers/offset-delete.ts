/**
 * OffsetDelete (key 47), v0: deletes a group's committed offsets for the given partitions, as Kafka does:
 * unknown partitions get UNKNOWN_TOPIC_OR_PARTITION, partitions of a topic an active member subscribes to get
 * GROUP_SUBSCRIBED_TO_TOPIC, the rest are deleted (and persisted). Group-level errors (GROUP_ID_NOT_FOUND,
 * NON_EMPTY_GROUP for a non-consumer group with members) go in the top-level error code.
 *
 * ACLs (none without --authorizer), checked before the group or any partition is looked up, as Kafka does:
 * DELETE on the group (else GROUP_AUTHORIZATION_FAILED for the whole request), then READ on each topic
 * (TOPIC_AUTHORIZATION_FAILED for each of its partitions, which are left alone).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { OffsetDelete, createOffsetDeleteResponse, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import { coordinatorOf } from '../groups/handler-support.js';
import { AclOperation, allowedOnGroup, refusedTopics } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  codec: OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (!allowedOnGroup(ctx, AclOperation.DELETE, req.groupId)) return errorResponse(req, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const refused = refusedTopics(ctx, AclOperation.READ, req.topics.map((t) => t.name));
    const groups = coordinatorOf(ctx);
    const unknown = new Set<string>();
    const known: { name: string; partitions: number[] }[] = [];
    for (const t of req.topics) {
      if (refused.has(t.name)) continue;
      const partitions: number[] = [];
      for (const p of t.partitions) {
        if (ctx.broker.topics.partition(t.name, p.partitionIndex)) partitions.push(p.partitionIndex);
        else unknown.add(`${t.name}:${p.partitionIndex}`);
      }
      known.push({ name: t.name, partitions });
    }
    const result = await groups.deleteOffsets(req.groupId, known);
    if (result.errorCode !== ErrorCode.NONE) return errorResponse(req, result.errorCode);
    return createOffsetDeleteResponse({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const key = `${t.name}:${p.partitionIndex}`;
          if (refused.has(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
          return { partitionIndex: p.partitionIndex, errorCode: unknown.has(key) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : (result.partitions.get(key) ?? ErrorCode.NONE) };
        }),
      })),
    });
  },
  errorResponse(req, _version, errorCode) {
    return errorResponse(req, errorCode);
  },
});

function errorResponse(req: OffsetDeleteRequest, errorCode: number): OffsetDeleteResponse {
  return createOffsetDeleteResponse({ errorCode, topics: [] });
}
