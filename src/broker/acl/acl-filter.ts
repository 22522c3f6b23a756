/**
 * Checks ACLs before they are stored, and matches stored ACLs against DescribeAcls/DeleteAcls filters, with
 * the semantics of Kafka's AclBindingFilter (ANY and null match anything; the MATCH pattern type selects the
 * patterns that apply to the named resource: that literal name, the `*` wildcard, and every prefix of it).
 */
import { AclOperation, CLUSTER_NAME, PatternType, PermissionType, ResourceType, SUPPORTED_OPERATIONS, operationName, resourceTypeName, type AclBinding, type AclBindingFilter } from './acl-types.js';
import { principalProblem } from './principals.js';

/** Why `b` cannot be stored (INVALID_REQUEST), or null. */
export function bindingProblem(b: AclBinding): string | null {
  const supported = SUPPORTED_OPERATIONS.get(b.resourceType);
  if (!supported || b.resourceType === ResourceType.DELEGATION_TOKEN || b.resourceType === ResourceType.USER) {
    return `resource type ${resourceTypeName(b.resourceType)} is not valid in an ACL; use TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID`;
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `pattern type ${b.patternType} is not valid in an ACL; use LITERAL (3) or PREFIXED (4)`;
  if (b.resourceName === '') return 'the resource name is empty';
  if (b.resourceType === ResourceType.CLUSTER && (b.resourceName !== CLUSTER_NAME || b.patternType !== PatternType.LITERAL)) {
    return `the only valid cluster resource is the literal name "${CLUSTER_NAME}"`;
  }
  if (b.operation !== AclOperation.ALL && !supported.includes(b.operation)) {
    return `operation ${operationName(b.operation)} does not apply to ${resourceTypeName(b.resourceType)}; it supports ALL, ${supported.map(operationName).join(', ')}`;
  }
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return `permission type ${b.permissionType} is not valid in an ACL; use ALLOW (3) or DENY (2)`;
  const principal = principalProblem(b.principal);
  if (principal) return principal;
  if (b.host === '') return 'the host is empty; use * for any host';
  return null;
}

/** Why `f` is not a usable filter (an UNKNOWN element, as Kafka refuses), or null. */
export function filterProblem(f: AclBindingFilter): string | null {
  const known = (code: number, max: number) => code > 0 && code <= max;
  if (!known(f.resourceType, ResourceType.USER)) return `unknown resource type ${f.resourceType} in the filter`;
  if (!known(f.patternType, PatternType.PREFIXED)) return `unknown pattern type ${f.patternType} in the filter`;
  if (!known(f.operation, AclOperation.DESCRIBE_TOKENS)) return `unknown operation ${f.operation} in the filter`;
  if (!known(f.permissionType, PermissionType.ALLOW)) return `unknown permission type ${f.permissionType} in the filter`;
  return null;
}

export function matchesFilter(b: AclBinding, f: AclBindingFilter): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName !== null) {
    if (f.patternType !== PatternType.MATCH) {
      if (f.resourceName !== b.resourceName) return false;
    } else if (b.patternType === PatternType.LITERAL) {
      if (f.resourceName !== b.resourceName && b.resourceName !== '*') return false;
    } else if (!f.resourceName.startsWith(b.resourceName)) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  return f.permissionType === PermissionType.ANY || f.permissionType === b.permissionType;
}
