/**
 * AlterConfigs (key 33), v0–2: replaces the whole config set of each resource (a topic, or the broker's
 * dynamic log settings: "0" for this broker, "" for the cluster default); configs not named return to their
 * defaults, as in Kafka. Each resource is checked and applied on its own and gets its own error;
 * validateOnly checks and changes nothing. See config-alter.ts.
 *
 * ACLs (none without --authorizer), as Kafka's controller checks them, after the duplicate check and before
 * anything is looked up: ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED), or on the cluster for the
 * broker, broker-logger and client-metrics resources (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { AlterConfigs, createAlterConfigsResponse, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import { alterResource, AlterOp, duplicateResources, RESOURCE_BROKER, RESOURCE_TOPIC, type AlterOutcome } from '../config-alter.js';
import type { RequestContext } from '../context.js';
import { AclOperation, allowedOnCluster, allowedOnTopic } from '../acl/check.js';
import { defineHandler } from './handler.js';

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  codec: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const dup = duplicateResources(req.resources);
    const responses = await Promise.all(
      req.resources.map(async (r) => {
        const key = { resourceType: r.resourceType, resourceName: r.resourceName };
        if (dup.has(`${r.resourceType}:${r.resourceName}`)) {
          return { ...key, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource ${r.resourceName} (type ${r.resourceType}) appears more than once in the request` };
        }
        const refused = alterRefusal(ctx, r.resourceType, r.resourceName);
        if (refused) return { ...key, ...refused };
        const changes = r.configs.map((c) => ({ name: c.name, op: AlterOp.SET, value: c.value }));
        return { ...key, ...(await alterResource(ctx, r.resourceType, r.resourceName, changes, { replaceAll: true, validateOnly: req.validateOnly })) };
      }),
    );
    return createAlterConfigsResponse({ responses });
  },
  errorResponse(req, _version, errorCode, message) {
    return createAlterConfigsResponse({ responses: req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: message })) });
  },
});

/**
 * Kafka's BROKER_LOGGER and CLIENT_METRICS resource types: authorized on the cluster as the broker is (Kafka
 * 3.9's KafkaApis / ControllerApis), then refused by alterResource as unsupported here.
 */
const RESOURCE_BROKER_LOGGER = 8;
const RESOURCE_CLIENT_METRICS = 16;

/** Why this principal may not alter the resource's configs, or null (always null without an authorizer). */
export function alterRefusal(ctx: RequestContext, resourceType: number, resourceName: string): AlterOutcome | null {
  if (resourceType === RESOURCE_TOPIC) {
    if (allowedOnTopic(ctx, AclOperation.ALTER_CONFIGS, resourceName)) return null;
    return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not ALTER_CONFIGS of topic "${resourceName}"` };
  }
  if (resourceType === RESOURCE_BROKER || resourceType === RESOURCE_BROKER_LOGGER || resourceType === RESOURCE_CLIENT_METRICS) {
    if (allowedOnCluster(ctx, AclOperation.ALTER_CONFIGS)) return null;
    return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${ctx.principal} may not ALTER_CONFIGS of the cluster, which broker configs need` };
  }
  return null; // other resource types are refused by alterResource
}
