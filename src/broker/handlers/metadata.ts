/**
 * Metadata (key 3), v0–12: this single node as broker, controller, leader and only replica of every
 * partition; topic UUIDs from v10. Unknown topics are created when the request allows it (v4+ flag; always
 * allowed before v4, as in Kafka) and the broker's autoCreateTopics is on, within the same partition limits
 * as CreateTopics (per request and in all, see topic-limits.ts); a topic past them gets POLICY_VIOLATION.
 * A topic is listed only once its partitions are open (the catalog records it last).
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { Metadata, createMetadataResponse, createMetadataResponseTopic, type MetadataRequest, type MetadataResponse } from '../../protocol/messages/metadata.js';
import type { RequestContext } from '../context.js';
import type { TopicInfo } from '../topics.js';
import { partitionBudget, type PartitionBudget } from '../topic-limits.js';
import { topicNameProblem } from '../topic-name.js';
import { AclOperation, ResourceType, allowedOnTopic, authorizedOperations, mayCreateTopic } from '../acl/check.js';
import { CLUSTER_NAME } from '../acl/acl-types.js';
import { defineHandler } from './handler.js';

/** The schema's default for authorized-operation fields: not asked for, or no authorizer. */
const NOT_PROVIDED = -2147483648;

/** v8+: the operations the principal may perform on each listed topic, when the request asks. */
function withAuthorizedOperations(ctx: RequestContext, req: MetadataRequest, topics: TopicOut[]): void {
  if (!req.includeTopicAuthorizedOperations) return;
  for (const t of topics) {
    if (t.errorCode === ErrorCode.NONE && t.name !== null) t.topicAuthorizedOperations = authorizedOperations(ctx, ResourceType.TOPIC, t.name) ?? NOT_PROVIDED;
  }
}

type TopicOut = MetadataResponse['topics'][number];

function topicOut(info: TopicInfo, nodeId: number): TopicOut {
  const partitions: TopicOut['partitions'] = [];
  for (let i = 0; i < info.partitions; i++) {
    partitions.push({ errorCode: ErrorCode.NONE, partitionIndex: i, leaderId: nodeId, leaderEpoch: 0, replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [] });
  }
  return createMetadataResponseTopic({ name: info.name, topicId: info.id, partitions });
}

function topicError(errorCode: number, name: string | null, topicId = ZERO_UUID): TopicOut {
  return createMetadataResponseTopic({ errorCode, name, topicId });
}

async function resolveTopic(ctx: RequestContext, name: string | null, topicId: string, allowCreate: boolean, budget: PartitionBudget): Promise<TopicOut> {
  const topics = ctx.broker.topics;
  const nodeId = ctx.broker.nodeId;
  if (name === null || name === '') {
    // Lookup by id (v10+), where the name may be null.
    const byId = topicId !== ZERO_UUID ? topics.byId(topicId) : undefined;
    if (byId && !allowedOnTopic(ctx, AclOperation.DESCRIBE, byId.name)) return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, null, topicId);
    return byId ? topicOut(byId, nodeId) : topicError(ErrorCode.UNKNOWN_TOPIC_ID, null, topicId);
  }
  // ACLs (none without --authorizer): DESCRIBE before existence, so a refused client learns nothing.
  if (!allowedOnTopic(ctx, AclOperation.DESCRIBE, name)) return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name);
  const existing = topics.get(name);
  if (existing) return topicOut(existing, nodeId);
  if (topicNameProblem(name)) return topicError(ErrorCode.INVALID_TOPIC_EXCEPTION, name);
  if (!allowCreate) return topicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name);
  if (!mayCreateTopic(ctx, name)) return topicError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, name);
  const refused = budget.take(name, ctx.config.numPartitions);
  if (refused) {
    ctx.logger.warn({ topic: name, reason: refused }, 'auto-creating topic refused');
    return topicError(ErrorCode.POLICY_VIOLATION, name);
  }
  try {
    const created = await topics.create(name, ctx.config.numPartitions, {});
    ctx.logger.info({ topic: name, partitions: created.partitions }, 'auto-created topic');
    return topicOut(created, nodeId);
  } catch (err) {
    const code = errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR);
    if (code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      const now = topics.get(name);
      if (now) return topicOut(now, nodeId);
    }
    ctx.logger.warn({ topic: name, err: (err as Error).message }, 'auto-creating topic failed');
    return topicError(code, name);
  }
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>({
  codec: Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, req, version) {
    const b = ctx.broker;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    const allowCreate = ctx.config.autoCreateTopics && (version < 4 || req.allowAutoTopicCreation);
    let topics: TopicOut[];
    if (all) {
      // Only the topics the principal may describe (every topic without --authorizer).
      topics = b.topics.list().filter((t) => allowedOnTopic(ctx, AclOperation.DESCRIBE, t.name)).map((t) => topicOut(t, b.nodeId));
    } else {
      topics = [];
      const budget = partitionBudget(ctx);
      for (const t of req.topics ?? []) topics.push(await resolveTopic(ctx, t.name, t.topicId, allowCreate, budget));
    }
    if (version >= 8 && b.services.authorizer) withAuthorizedOperations(ctx, req, topics);
    return createMetadataResponse({
      clusterAuthorizedOperations: version >= 8 && version <= 10 && req.includeClusterAuthorizedOperations ? (authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME) ?? NOT_PROVIDED) : NOT_PROVIDED,
      brokers: [{ nodeId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, rack: null }],
      clusterId: b.clusterId,
      controllerId: b.nodeId,
      topics,
    });
  },
});
