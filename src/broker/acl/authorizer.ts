/**
 * `--authorizer acl`: decides whether a principal connecting from a host may perform an operation on a
 * resource, with the semantics of Kafka's AclAuthorizer:
 *
 * - super users may do everything;
 * - a resource with no ACL at all is open only with `--allow-everyone-if-no-acl-found`;
 * - otherwise a matching DENY refuses, whatever ALLOWs there are; a matching ALLOW permits;
 * - an ACL matches when its principal is the principal or `User:*`, its host the client's address or `*`,
 *   and its operation the one asked for or ALL; ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE,
 *   and ALLOW of ALTER_CONFIGS allows DESCRIBE_CONFIGS (a DENY implies nothing).
 *
 * The ACLs that apply to a resource are its literal ones, the `*` wildcard of its type and every prefixed
 * pattern its name starts with (acl-store.ts).
 */
import type { AclStore } from './acl-store.js';
import { AclOperation, CLUSTER_NAME, PatternType, PermissionType, ResourceType, SUPPORTED_OPERATIONS, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding } from './acl-types.js';
import { IN_PROCESS_PRINCIPAL } from './principals.js';

export interface AuthorizerOptions {
  /** Principals (`User:name`) that bypass every check. */
  superUsers: readonly string[];
  /** Kafka's allow.everyone.if.no.acl.found: a resource without any ACL is open to all. */
  allowEveryoneIfNoAclFound: boolean;
}

/** The operations an ALLOW of the key operation also allows (Kafka's implied operations). */
const IMPLIED_BY: ReadonlyMap<number, readonly number[]> = new Map([
  [AclOperation.DESCRIBE, [AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]],
  [AclOperation.DESCRIBE_CONFIGS, [AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
]);

function applies(acl: AclBinding, principal: string, host: string, operation: number, permission: number): boolean {
  return (
    acl.permissionType === permission &&
    (acl.operation === operation || acl.operation === AclOperation.ALL) &&
    (acl.principal === principal || acl.principal === WILDCARD_PRINCIPAL) &&
    (acl.host === host || acl.host === WILDCARD)
  );
}

export class Authorizer {
  private readonly superUsers: ReadonlySet<string>;

  constructor(
    readonly store: AclStore,
    private readonly options: AuthorizerOptions,
  ) {
    this.superUsers = new Set(options.superUsers);
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal) || principal === IN_PROCESS_PRINCIPAL;
  }

  /** May `principal` at `host` perform `operation` on the resource (`resourceType`, `name`)? */
  authorize(principal: string, host: string, operation: number, resourceType: number, name: string): boolean {
    if (this.isSuperUser(principal)) return true;
    const acls = this.store.matching(resourceType, name);
    if (acls.length === 0) return this.options.allowEveryoneIfNoAclFound;
    for (const acl of acls) if (applies(acl, principal, host, operation, PermissionType.DENY)) return false;
    const allowing = IMPLIED_BY.get(operation) ?? [operation];
    for (const acl of acls) for (const op of allowing) if (applies(acl, principal, host, op, PermissionType.ALLOW)) return true;
    return false;
  }

  /**
   * Could the principal perform `operation` on some resource of `resourceType`? (Kafka's
   * authorizeByResourceType, used by InitProducerId without a transactional id: WRITE on any topic.) True
   * when it may on a name no ACL mentions, or an ALLOW pattern exists that no DENY pattern covers.
   */
  authorizeByResourceType(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.isSuperUser(principal)) return true;
    // A name no ACL names literally: open through wildcards, or through allow-everyone when nothing applies.
    if (this.authorize(principal, host, operation, resourceType, '\u0000no-such-resource')) return true;
    const denyLiteral = new Set<string>();
    const denyPrefixed: string[] = [];
    const allowLiteral: string[] = [];
    const allowPrefixed: string[] = [];
    for (const acl of this.store.ofType(resourceType)) {
      if (applies(acl, principal, host, operation, PermissionType.DENY)) {
        if (acl.patternType === PatternType.LITERAL) {
          if (acl.resourceName === WILDCARD) return false;
          denyLiteral.add(acl.resourceName);
        } else denyPrefixed.push(acl.resourceName);
      } else if (applies(acl, principal, host, operation, PermissionType.ALLOW)) {
        (acl.patternType === PatternType.LITERAL ? allowLiteral : allowPrefixed).push(acl.resourceName);
      }
    }
    const deniedByPrefix = (name: string) => denyPrefixed.some((p) => name.startsWith(p));
    if (allowLiteral.some((n) => !denyLiteral.has(n) && !deniedByPrefix(n))) return true;
    return allowPrefixed.some((p) => !deniedByPrefix(p));
  }

  /**
   * The operations the principal may perform on the resource, as the bit field Kafka's responses carry
   * (`includeAuthorizedOperations`): bit n set for operation code n.
   */
  authorizedOperations(principal: string, host: string, resourceType: number, name: string): number {
    let bits = 0;
    for (const op of SUPPORTED_OPERATIONS.get(resourceType) ?? []) {
      if (this.authorize(principal, host, op, resourceType, name)) bits |= 1 << op;
    }
    return bits;
  }

  /** The cluster resource's checks, by its one name. */
  authorizeCluster(principal: string, host: string, operation: number): boolean {
    return this.authorize(principal, host, operation, ResourceType.CLUSTER, CLUSTER_NAME);
  }
}
