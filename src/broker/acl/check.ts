/**
 * The checks handlers make. Without `--authorizer` there is no authorizer on the broker and every check is
 * one property read that allows; with it, each asks the authorizer about the request's principal and host.
 */
import type { RequestContext } from '../context.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from './acl-types.js';
import './service.js';

export { AclOperation, ResourceType } from './acl-types.js';

/** May this request's principal perform `operation` on (`resourceType`, `name`)? */
export function allowed(ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const authorizer = ctx.broker.services.authorizer;
  return authorizer === undefined || authorizer.authorize(ctx.principal, ctx.clientHost, operation, resourceType, name);
}

export function allowedOnCluster(ctx: RequestContext, operation: number): boolean {
  return allowed(ctx, operation, ResourceType.CLUSTER, CLUSTER_NAME);
}

export const allowedOnTopic = (ctx: RequestContext, operation: number, topic: string): boolean => allowed(ctx, operation, ResourceType.TOPIC, topic);
export const allowedOnGroup = (ctx: RequestContext, operation: number, group: string): boolean => allowed(ctx, operation, ResourceType.GROUP, group);
export const allowedOnTransactionalId = (ctx: RequestContext, operation: number, id: string): boolean => allowed(ctx, operation, ResourceType.TRANSACTIONAL_ID, id);

/**
 * Checks `operation` on each distinct topic once (a request may name a topic many times) and returns the
 * refused names; empty without an authorizer, at no cost.
 */
export function refusedTopics(ctx: RequestContext, operation: number, names: Iterable<string | null>): ReadonlySet<string> {
  const authorizer = ctx.broker.services.authorizer;
  if (authorizer === undefined) return NO_TOPICS;
  const refused = new Set<string>();
  const seen = new Set<string>();
  for (const name of names) {
    if (name === null || seen.has(name)) continue;
    seen.add(name);
    if (!authorizer.authorize(ctx.principal, ctx.clientHost, operation, ResourceType.TOPIC, name)) refused.add(name);
  }
  return refused;
}
/** No topic refused (what every check gives without an authorizer). */
export const NO_TOPICS: ReadonlySet<string> = new Set();

/** May topics be created: CREATE on the cluster, or else CREATE on the topic itself. */
export function mayCreateTopic(ctx: RequestContext, topic: string): boolean {
  return allowedOnCluster(ctx, AclOperation.CREATE) || allowedOnTopic(ctx, AclOperation.CREATE, topic);
}

/**
 * The authorized-operations bit field for a response that asks for it, or `undefined` to leave the
 * schema default (no authorizer: Kafka then sends its "not provided" value too).
 */
export function authorizedOperations(ctx: RequestContext, resourceType: number, name: string): number | undefined {
  return ctx.broker.services.authorizer?.authorizedOperations(ctx.principal, ctx.clientHost, resourceType, name);
}
