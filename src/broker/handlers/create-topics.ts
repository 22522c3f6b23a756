/**
 * CreateTopics (key 19), v0–7. One node, so replication factor must be 1 or -1 (default) and any manual
 * assignment may only name broker 0. Partition count -1 means the broker default (or the assignment's
 * size). validateOnly checks everything and creates nothing. Topic configs are validated per topic.
 *
 * Limits (issue 10): the topics of one request may create at most --max-partitions-per-request partitions
 * together, and the broker at most --max-partitions in all; a topic past either gets POLICY_VIOLATION with the
 * limit named. POLICY_VIOLATION is what Kafka returns when its create-topic policy refuses a topic: clients
 * report it per topic with the message and do not retry it (unlike KAFKA_STORAGE_ERROR or
 * THROTTLING_QUOTA_EXCEEDED, which they retry, to the same refusal). The valid topics are created
 * concurrently, so their catalog records share fsyncs. The partitions created count against the client's
 * controller_mutation_rate (quotas/controller-mutation.ts): v6+ refuse topics past it with
 * THROTTLING_QUOTA_EXCEEDED, older versions are answered late.
 */
import { ErrorCode, errorCodeOf } from '../../protocol/errors.js';
import {
  CreateTopics,
  createCreateTopicsResponse,
  createCreateTopicsResponseCreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../protocol/messages/create-topics.js';
import type { RequestContext } from '../context.js';
import { describeTopicConfigs, storedTopicConfigs, topicConfigProblem } from '../topic-configs.js';
import { partitionBudget } from '../topic-limits.js';
import { topicNameProblem } from '../topic-name.js';
import { AclOperation, allowedOnTopic, mayCreateTopic } from '../acl/check.js';
import { mutationQuota, THROTTLED_MESSAGE } from '../quotas/controller-mutation.js';
import { defineHandler } from './handler.js';

type TopicIn = CreateTopicsRequest['topics'][number];
type TopicOut = CreateTopicsResponse['topics'][number];

function result(name: string, errorCode: number, errorMessage: string | null, extra: Partial<TopicOut> = {}): TopicOut {
  return createCreateTopicsResponseCreatableTopicResult({ name, errorCode, errorMessage, ...extra });
}

/** Checks one topic; returns its partition count and configs, or an error result. */
function plan(ctx: RequestContext, t: TopicIn): { partitions: number; configs: Record<string, string> } | TopicOut {
  const nameProblem = topicNameProblem(t.name);
  if (nameProblem) return result(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (ctx.broker.topics.get(t.name)) return result(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic "${t.name}" already exists`);
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
    return result(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is impossible on a single-node broker; use 1 or -1`);
  }
  let partitions = t.numPartitions;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1) return result(t.name, ErrorCode.INVALID_REQUEST, 'give either numPartitions or assignments, not both');
    const bad = t.assignments.find((a, i) => a.partitionIndex !== i || a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.broker.nodeId);
    if (bad) return result(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, `assignments must list partitions 0..n-1, each on broker ${ctx.broker.nodeId} only`);
    partitions = t.assignments.length;
  }
  if (partitions === -1) partitions = ctx.config.numPartitions;
  if (partitions < 1 || partitions > 100_000) return result(t.name, ErrorCode.INVALID_PARTITIONS, `partition count ${t.numPartitions} must be at least 1 (or -1 for the default)`);
  const configProblem = topicConfigProblem(t.configs, ctx.broker.logs.config);
  if (configProblem) return result(t.name, ErrorCode.INVALID_CONFIG, configProblem);
  return { partitions, configs: storedTopicConfigs(t.configs) };
}

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  codec: CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req, version) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const budget = partitionBudget(ctx);
    const quota = mutationQuota(ctx, version >= 6);
    const topics: Promise<TopicOut>[] = [];
    for (const t of req.topics) {
      if ((counts.get(t.name) ?? 0) > 1) {
        topics.push(Promise.resolve(result(t.name, ErrorCode.INVALID_REQUEST, `topic "${t.name}" appears more than once in the request`)));
        continue;
      }
      if (!mayCreateTopic(ctx, t.name)) {
        topics.push(Promise.resolve(result(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not CREATE topic "${t.name}" (needs CREATE on the cluster or the topic)`)));
        continue;
      }
      const p = plan(ctx, t);
      if ('errorCode' in p) {
        topics.push(Promise.resolve(p));
        continue;
      }
      if (!req.validateOnly && quota.refuses()) {
        topics.push(Promise.resolve(result(t.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE)));
        continue;
      }
      const refused = budget.take(t.name, p.partitions);
      if (refused) {
        topics.push(Promise.resolve(result(t.name, ErrorCode.POLICY_VIOLATION, refused)));
        continue;
      }
      // Returning the configs needs DESCRIBE_CONFIGS on the topic too (as Kafka): otherwise none, and an error beside them.
      const mayDescribe = allowedOnTopic(ctx, AclOperation.DESCRIBE_CONFIGS, t.name);
      const configErrors = mayDescribe ? {} : { topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      const described = mayDescribe ? describeTopicConfigs(ctx.config, p.configs, ctx.broker.services.brokerConfigs?.layers()).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: false })) : [];
      if (req.validateOnly) {
        topics.push(Promise.resolve(result(t.name, 0, null, { numPartitions: p.partitions, replicationFactor: 1, configs: described, ...configErrors })));
        continue;
      }
      quota.record(p.partitions);
      topics.push(
        ctx.broker.topics.create(t.name, p.partitions, p.configs).then(
          (info) => {
            ctx.logger.info({ topic: t.name, partitions: p.partitions, configs: p.configs }, 'created topic');
            return result(t.name, 0, null, { topicId: info.id, numPartitions: info.partitions, replicationFactor: 1, configs: described, ...configErrors });
          },
          (err: unknown) => {
            ctx.logger.warn({ topic: t.name, err: (err as Error).message }, 'creating topic failed');
            return result(t.name, errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR), (err as Error).message);
          },
        ),
      );
    }
    const done = await Promise.all(topics);
    return createCreateTopicsResponse({ throttleTimeMs: await quota.finish(), topics: done });
  },
  errorResponse(req, _version, errorCode, message) {
    return createCreateTopicsResponse({ topics: req.topics.map((t) => result(t.name, errorCode, message)) });
  },
});
