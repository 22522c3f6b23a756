/**
 * CreatePartitions (key 37), v0–3: grows a topic to `count` partitions (never shrinks). Assignments, when
 * given, may only name this broker. The partitions added by one request count against
 * --max-partitions-per-request and the broker's --max-partitions (POLICY_VIOLATION, see topic-limits.ts), and
 * against the client's controller_mutation_rate (quotas/controller-mutation.ts): v3+ refuse topics past it
 * with THROTTLING_QUOTA_EXCEEDED, older versions are answered late.
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import {
  CreatePartitions,
  createCreatePartitionsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../../protocol/messages/create-partitions.js';
import type { RequestContext } from '../context.js';
import { partitionBudget, type PartitionBudget } from '../topic-limits.js';
import { AclOperation, allowedOnTopic } from '../acl/check.js';
import { mutationQuota, THROTTLED_MESSAGE, type MutationQuota } from '../quotas/controller-mutation.js';
import { defineHandler } from './handler.js';

type TopicIn = CreatePartitionsRequest['topics'][number];
type Out = CreatePartitionsResponse['results'][number];

async function grow(ctx: RequestContext, t: TopicIn, validateOnly: boolean, budget: PartitionBudget, quota: MutationQuota): Promise<Out> {
  const fail = (errorCode: number, errorMessage: string): Out => ({ name: t.name, errorCode, errorMessage });
  // ACLs (none without --authorizer): ALTER on the topic, checked before existence.
  if (!allowedOnTopic(ctx, AclOperation.ALTER, t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not ALTER topic "${t.name}"`);
  const info = ctx.broker.topics.get(t.name);
  if (!info) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic named "${t.name}"`);
  if (t.count <= info.partitions) {
    return fail(ErrorCode.INVALID_PARTITIONS, `topic "${t.name}" has ${info.partitions} partitions; the new count (${t.count}) must be larger`);
  }
  if (t.count > 100_000) return fail(ErrorCode.INVALID_PARTITIONS, `partition count ${t.count} is too large`);
  const added = t.count - info.partitions;
  if (t.assignments !== null) {
    const ok = t.assignments.length === added && t.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === ctx.broker.nodeId);
    if (!ok) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `give ${added} assignments, each naming only broker ${ctx.broker.nodeId}`);
  }
  if (!validateOnly && quota.refuses()) return fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);
  const refused = budget.take(t.name, added);
  if (refused) return fail(ErrorCode.POLICY_VIOLATION, refused);
  if (validateOnly) return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
  quota.record(added);
  try {
    await ctx.broker.topics.addPartitions(t.name, t.count);
    ctx.logger.info({ topic: t.name, partitions: t.count }, 'added partitions');
    return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    return fail(errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR), (err as Error).message);
  }
}

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  codec: CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req, version) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: Out[] = [];
    const budget = partitionBudget(ctx);
    const quota = mutationQuota(ctx, version >= 3);
    for (const t of req.topics) {
      if ((counts.get(t.name) ?? 0) > 1) results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'topic listed more than once' });
      else results.push(await grow(ctx, t, req.validateOnly, budget, quota));
    }
    return createCreatePartitionsResponse({ throttleTimeMs: await quota.finish(), results });
  },
  errorResponse(req, _version, errorCode, message) {
    return createCreatePartitionsResponse({ results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: message })) });
  },
});
