/**
 * DescribeConfigs (key 32), v0–4: topic configs (effective value, and whether it comes from the topic, a
 * broker flag or the default) and the broker settings we honour, under Kafka's names. Resource type 2 is a
 * topic, 4 a broker (name "0" or "" for this node).
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  DescribeConfigs,
  createDescribeConfigsResponse,
  createDescribeConfigsResponseResult,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/messages/describe-configs.js';
import { DEFAULT_CONFIG } from '../config.js';
import type { RequestContext } from '../context.js';
import { describeBrokerConfigs, describeTopicConfigs, type DescribedConfig } from '../topic-configs.js';
import { AclOperation, allowedOnCluster, allowedOnTopic } from '../acl/check.js';
import { defineHandler } from './handler.js';

type ResourceIn = DescribeConfigsRequest['resources'][number];
type ResultOut = DescribeConfigsResponse['results'][number];
type ConfigOut = ResultOut['configs'][number];

const TOPIC = 2;
const BROKER = 4;

function toWire(c: DescribedConfig, synonyms: boolean, documentation: boolean): ConfigOut {
  return {
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    isDefault: c.isDefault,
    configSource: c.configSource,
    isSensitive: false,
    synonyms: synonyms ? c.synonyms : [],
    configType: c.type,
    documentation: documentation ? c.doc : null,
  };
}

function resultFor(r: ResourceIn, fields: Partial<ResultOut>): ResultOut {
  return createDescribeConfigsResponseResult({ resourceType: r.resourceType, resourceName: r.resourceName, ...fields });
}

function describe(ctx: RequestContext, r: ResourceIn, synonyms: boolean, documentation: boolean): ResultOut {
  const fail = (errorCode: number, errorMessage: string): ResultOut => resultFor(r, { errorCode, errorMessage });
  let configs: DescribedConfig[];
  // ACLs (none without --authorizer): DESCRIBE_CONFIGS on the topic, or on the cluster for the broker.
  if (r.resourceType === TOPIC && !allowedOnTopic(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceName)) {
    return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not DESCRIBE_CONFIGS of topic "${r.resourceName}"`);
  }
  if (r.resourceType === BROKER && !allowedOnCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
    return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not DESCRIBE_CONFIGS of the cluster`);
  }
  if (r.resourceType === TOPIC) {
    const info = ctx.broker.topics.get(r.resourceName);
    if (!info) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic named "${r.resourceName}"`);
    configs = describeTopicConfigs(ctx.config, info.configs);
  } else if (r.resourceType === BROKER) {
    if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.nodeId)) {
      return fail(ErrorCode.INVALID_REQUEST, `this is broker ${ctx.broker.nodeId}, not "${r.resourceName}"`);
    }
    configs = describeBrokerConfigs(ctx.config, DEFAULT_CONFIG);
  } else {
    return fail(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported; use 2 (topic) or 4 (broker)`);
  }
  const keys = r.configurationKeys;
  if (keys !== null && keys.length > 0) configs = configs.filter((c) => keys.includes(c.name));
  return resultFor(r, { errorMessage: null, configs: configs.map((c) => toWire(c, synonyms, documentation)) });
}

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  codec: DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    return createDescribeConfigsResponse({ results: req.resources.map((r) => describe(ctx, r, req.includeSynonyms, req.includeDocumentation)) });
  },
  errorResponse(req, _version, errorCode, message) {
    return createDescribeConfigsResponse({ results: req.resources.map((r) => resultFor(r, { errorCode, errorMessage: message })) });
  },
});
