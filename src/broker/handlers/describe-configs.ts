/**
 * DescribeConfigs (key 32), v0–4: a topic's configs (all of Kafka 3.9's, with effective value, source and,
 * when asked, synonyms and a description) and the broker's settings, under Kafka's names, as Kafka's broker
 * reports them. Resource type 2 is a topic, 4 a broker (name "0", or "" for the cluster-wide defaults).
 * When the request names configuration keys, the entries come in that order (unknown names are left out).
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
import { describeBrokerConfigs, describeTopicConfigs, type BrokerConfigLayers, type DescribedConfig } from '../topic-configs.js';
import { AclOperation, allowedOnCluster, allowedOnTopic } from '../acl/check.js';
import { defineHandler } from './handler.js';

type ResourceIn = DescribeConfigsRequest['resources'][number];
type ResultOut = DescribeConfigsResponse['results'][number];
type ConfigOut = ResultOut['configs'][number];

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

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

/** The broker layers topic configs fall back to (dynamic ones when that service runs). */
export function brokerLayers(ctx: RequestContext): BrokerConfigLayers | undefined {
  return ctx.broker.services.brokerConfigs?.layers();
}

/** Entries in the order the request named them; all of them when it named none. */
function selected(configs: DescribedConfig[], keys: string[] | null): DescribedConfig[] {
  if (keys === null || keys.length === 0) return configs;
  const byName = new Map(configs.map((c) => [c.name, c]));
  const out: DescribedConfig[] = [];
  const seen = new Set<string>();
  for (const k of keys) {
    const c = byName.get(k);
    if (c && !seen.has(k)) out.push(c);
    seen.add(k);
  }
  return out;
}

function describe(ctx: RequestContext, r: ResourceIn, synonyms: boolean, documentation: boolean): ResultOut {
  const fail = (errorCode: number, errorMessage: string): ResultOut => resultFor(r, { errorCode, errorMessage });
  let configs: DescribedConfig[];
  // ACLs (none without --authorizer): DESCRIBE_CONFIGS on the topic, or on the cluster for the broker.
  if (r.resourceType === RESOURCE_TOPIC && !allowedOnTopic(ctx, AclOperation.DESCRIBE_CONFIGS, r.resourceName)) {
    return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${ctx.principal} may not DESCRIBE_CONFIGS of topic "${r.resourceName}"`);
  }
  if (r.resourceType === RESOURCE_BROKER && !allowedOnCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
    return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not DESCRIBE_CONFIGS of the cluster`);
  }
  if (r.resourceType === RESOURCE_TOPIC) {
    const info = ctx.broker.topics.get(r.resourceName);
    if (!info) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic named "${r.resourceName}"`);
    configs = describeTopicConfigs(ctx.config, info.configs, brokerLayers(ctx));
  } else if (r.resourceType === RESOURCE_BROKER) {
    if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.nodeId)) {
      return fail(ErrorCode.INVALID_REQUEST, `this is broker ${ctx.broker.nodeId}, not "${r.resourceName}"`);
    }
    configs = describeBrokerConfigs(ctx.config, DEFAULT_CONFIG, brokerLayers(ctx));
  } else {
    return fail(ErrorCode.INVALID_REQUEST, `resource type ${r.resourceType} is not supported; use 2 (topic) or 4 (broker)`);
  }
  return resultFor(r, { errorMessage: null, configs: selected(configs, r.configurationKeys).map((c) => toWire(c, synonyms, documentation)) });
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
