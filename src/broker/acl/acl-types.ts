/**
 * Kafka's ACL vocabulary with its wire codes (org.apache.kafka.common.acl / resource): resource types,
 * pattern types, operations and permission types, plus the names the CLI and logs use.
 */

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type PermissionType = (typeof PermissionType)[keyof typeof PermissionType];

/** The one name Kafka accepts for the cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name, principal or host that matches every one. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL: who (principal, host) may or may not do what (operation) to which resources (pattern). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** DescribeAcls/DeleteAcls filter: null names match any; ANY codes match any. */
export interface AclBindingFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** The operations each resource type supports besides ALL (Kafka's AclEntry.supportedOperations). */
export const SUPPORTED_OPERATIONS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [ResourceType.TOPIC, [AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]],
  [ResourceType.GROUP, [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE]],
  [ResourceType.CLUSTER, [AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE]],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.DESCRIBE, AclOperation.WRITE]],
  [ResourceType.DELEGATION_TOKEN, [AclOperation.DESCRIBE]],
  [ResourceType.USER, [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS]],
]);

function nameOf(table: Record<string, number>, code: number): string {
  for (const [name, c] of Object.entries(table)) if (c === code) return name;
  return `UNKNOWN(${code})`;
}

export const resourceTypeName = (code: number): string => nameOf(ResourceType, code);
export const patternTypeName = (code: number): string => nameOf(PatternType, code);
export const operationName = (code: number): string => nameOf(AclOperation, code);
export const permissionTypeName = (code: number): string => nameOf(PermissionType, code);

/** Parses a name as the CLI takes it: case-insensitive, `-` or `_` (e.g. `transactional-id`, `describe_configs`). */
function codeOf(table: Record<string, number>, what: string, text: string, allowed: readonly number[]): number {
  const key = text.trim().toUpperCase().replace(/-/g, '_');
  const code = table[key];
  if (code === undefined || !allowed.includes(code)) {
    const names = allowed.map((c) => nameOf(table, c).toLowerCase().replace(/_/g, '-'));
    throw new Error(`unknown ${what} "${text}"; use one of ${names.join(', ')}`);
  }
  return code;
}

export const parseResourceType = (text: string, allowAny = false): number =>
  codeOf(ResourceType, 'resource type', text, [...(allowAny ? [ResourceType.ANY] : []), ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID]);
export const parsePatternType = (text: string, allowFilters = false): number =>
  codeOf(PatternType, 'pattern type', text, [...(allowFilters ? [PatternType.ANY, PatternType.MATCH] : []), PatternType.LITERAL, PatternType.PREFIXED]);
export const parseOperation = (text: string, allowAny = false): number =>
  codeOf(AclOperation, 'operation', text, Object.values(AclOperation).filter((c) => c !== AclOperation.UNKNOWN && (allowAny || c !== AclOperation.ANY)));
export const parsePermissionType = (text: string, allowAny = false): number =>
  codeOf(PermissionType, 'permission type', text, [...(allowAny ? [PermissionType.ANY] : []), PermissionType.ALLOW, PermissionType.DENY]);
