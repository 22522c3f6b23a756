/**
 * DeleteTopics (key 20), v0–6: by name (v0–5 `topicNames`, v6 `topics[].name`) or by topic id (v6).
 * The partitions deleted count against the client's controller_mutation_rate (quotas/controller-mutation.ts):
 * v5+ refuse topics past it with THROTTLING_QUOTA_EXCEEDED, older versions are answered late.
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import {
  DeleteTopics,
  createDeleteTopicsResponse,
  createDeleteTopicsResponseDeletableTopicResult as result,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnTopic } from '../acl/check.js';
import { mutationQuota, THROTTLED_MESSAGE, type MutationQuota } from '../quotas/controller-mutation.js';
import { defineHandler } from './handler.js';

type Out = DeleteTopicsResponse['responses'][number];

function requested(req: DeleteTopicsRequest, version: number): Array<{ name: string | null; topicId: string }> {
  if (version >= 6) return req.topics.map((t) => ({ name: t.name, topicId: t.topicId }));
  return req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

async function deleteOne(ctx: RequestContext, name: string | null, topicId: string, quota: MutationQuota): Promise<Out> {
  const topics = ctx.broker.topics;
  const byId = name === null || name === '';
  // ACLs (none without --authorizer): DELETE on the topic, checked before existence for a name.
  const refused = (topic: string) => !allowedOnTopic(ctx, AclOperation.DELETE, topic);
  if (!byId && refused(name)) return result({ name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not DELETE topic "${name}"` });
  const info = byId ? topics.byId(topicId) : topics.get(name);
  if (byId && info && refused(info.name)) return result({ name: null, topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not DELETE topic ${topicId}` });
  if (!info) {
    return byId
      ? result({ name: null, topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `no topic with id ${topicId}` })
      : result({ name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no topic named "${name}"` });
  }
  if (quota.refuses()) return result({ name: info.name, topicId: info.id, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: THROTTLED_MESSAGE });
  quota.record(info.partitions);
  try {
    await topics.delete(info.name);
    // Committed offsets of a deleted topic go with it, as in Kafka.
    ctx.broker.services.groups?.deleteTopic(info.name);
    ctx.logger.info({ topic: info.name }, 'deleted topic');
    return result({ name: info.name, topicId: info.id });
  } catch (err) {
    ctx.logger.error({ err, topic: info.name }, 'deleting topic failed');
    return result({ name: info.name, topicId: info.id, errorCode: errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR), errorMessage: (err as Error).message });
  }
}

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  codec: DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req, version) {
    const responses: Out[] = [];
    const quota = mutationQuota(ctx, version >= 5);
    for (const t of requested(req, version)) responses.push(await deleteOne(ctx, t.name, t.topicId, quota));
    return createDeleteTopicsResponse({ throttleTimeMs: await quota.finish(), responses });
  },
  errorResponse(req, version, errorCode, message) {
    return createDeleteTopicsResponse({ responses: requested(req, version).map((t) => result({ ...t, errorCode, errorMessage: message })) });
  },
});
