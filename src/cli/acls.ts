/**
 * `kafkaesque acls list|add|remove`: the ACLs of a running broker started with `--authorizer acl`, over the
 * protocol (DescribeAcls, CreateAcls, DeleteAcls), with the flags of Kafka's kafka-acls.sh.
 */
import type { Admin } from 'kafkajs';
import {
  CLUSTER_NAME,
  operationName,
  parseOperation,
  parsePatternType,
  patternTypeName,
  permissionTypeName,
  resourceTypeName,
  AclOperation,
  PatternType,
  PermissionType,
  ResourceType,
} from '../broker/acl/acl-types.js';
import { BROKERS_HELP, parseAdminArgs, print, printJson, table, withAdmin, type AdminTarget } from './admin-support.js';
import { UsageError, type Command } from './command.js';

const HELP = [
  'Usage: kafkaesque acls <list|add|remove> [options]',
  '',
  '  acls list [resource] [--principal P]       ACLs on a broker started with --authorizer acl',
  '  acls add <resource> --allow-principal P --operation OP [--operation OP]...',
  '  acls add <resource> --deny-principal P --operation OP',
  '  acls remove <resource> [--allow-principal P | --deny-principal P] [--operation OP]',
  '',
  'Resource (one of):',
  '  --topic NAME               a topic (NAME * means every topic)',
  '  --group NAME               a consumer group',
  '  --transactional-id NAME    a transactional id',
  '  --cluster                  the cluster (ACL APIs, creating topics, idempotent writes, ...)',
  '  --resource-pattern-type T  literal (default for add), prefixed; list and remove also take any (their',
  '                             default) and match (every ACL that applies to the named resource)',
  '',
  'Options:',
  BROKERS_HELP,
  '  --allow-principal P        principal the ACL allows, User:NAME (a bare NAME means User:NAME; User:* anyone)',
  '  --deny-principal P         principal the ACL denies (DENY overrides ALLOW)',
  '  --principal P              list: only ACLs of this principal',
  '  --host H                   client address the ACL applies to (default *: any)',
  '  --operation OP             read, write, create, delete, alter, describe, cluster-action, describe-configs,',
  '                             alter-configs, idempotent-write or all (repeatable)',
  '  --json                     machine-readable output',
  '  -h, --help                 show this help',
  '',
  'Exit codes: 0 done, 1 the broker refused or is unreachable, 2 bad usage.',
].join('\n');

const OPTIONS = {
  topic: { type: 'string' },
  group: { type: 'string' },
  'transactional-id': { type: 'string' },
  cluster: { type: 'boolean' },
  'resource-pattern-type': { type: 'string' },
  'allow-principal': { type: 'string' },
  'deny-principal': { type: 'string' },
  principal: { type: 'string' },
  host: { type: 'string' },
  operation: { type: 'string', multiple: true },
} as const;

interface Values {
  topic?: string;
  group?: string;
  'transactional-id'?: string;
  cluster?: boolean;
  'resource-pattern-type'?: string;
  'allow-principal'?: string;
  'deny-principal'?: string;
  principal?: string;
  host?: string;
  operation?: string[];
  json?: boolean;
}

interface Listed {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

const lower = (name: string) => name.toLowerCase().replace(/_/g, '-');

/** The one resource the flags name, or null when none is given. */
function resourceOf(v: Values): { type: number; name: string } | null {
  const given: { type: number; name: string }[] = [];
  if (v.topic !== undefined) given.push({ type: ResourceType.TOPIC, name: v.topic });
  if (v.group !== undefined) given.push({ type: ResourceType.GROUP, name: v.group });
  if (v['transactional-id'] !== undefined) given.push({ type: ResourceType.TRANSACTIONAL_ID, name: v['transactional-id'] });
  if (v.cluster === true) given.push({ type: ResourceType.CLUSTER, name: CLUSTER_NAME });
  if (given.length > 1) throw new UsageError('name one resource: --topic, --group, --transactional-id or --cluster');
  if (given[0]?.name === '') throw new UsageError('the resource name is empty');
  return given[0] ?? null;
}

function principalOf(text: string): string {
  const p = text.includes(':') ? text : `User:${text}`;
  if (!p.startsWith('User:') || p.length === 5) throw new UsageError(`principal "${text}" must be User:NAME (or a bare NAME)`);
  return p;
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Who the ACL is for and whether it allows or denies, from --allow-principal / --deny-principal. */
function grantee(v: Values, required: boolean): { principal: string | undefined; permission: number } {
  if (v['allow-principal'] !== undefined && v['deny-principal'] !== undefined) throw new UsageError('give --allow-principal or --deny-principal, not both');
  if (v['allow-principal'] !== undefined) return { principal: principalOf(v['allow-principal']), permission: PermissionType.ALLOW };
  if (v['deny-principal'] !== undefined) return { principal: principalOf(v['deny-principal']), permission: PermissionType.DENY };
  if (required) throw new UsageError('acls add needs --allow-principal or --deny-principal');
  return { principal: v.principal === undefined ? undefined : principalOf(v.principal), permission: PermissionType.ANY };
}

/** Turns kafkajs's "this broker refused" into a message that says what to do. */
async function admin<T>(target: AdminTarget, fn: (a: Admin) => Promise<T>): Promise<T> {
  try {
    return await withAdmin(target, fn);
  } catch (err) {
    const e = err as { type?: string; message: string };
    if (e.type === 'SECURITY_DISABLED') throw new Error('the broker has no authorizer; start it with --authorizer acl');
    if (e.type === 'CLUSTER_AUTHORIZATION_FAILED') throw new Error('not authorized: managing ACLs needs ALTER (listing: DESCRIBE) on the cluster, or a super user');
    throw err;
  }
}

async function list(a: Admin, filter: Parameters<Admin['describeAcls']>[0]): Promise<Listed[]> {
  const { resources } = await a.describeAcls(filter);
  const rows: Listed[] = [];
  for (const r of resources) {
    for (const acl of r.acls) {
      rows.push({
        resourceType: lower(resourceTypeName(r.resourceType)),
        resourceName: r.resourceName,
        patternType: lower(patternTypeName(r.resourcePatternType)),
        principal: acl.principal,
        host: acl.host,
        operation: lower(operationName(acl.operation)),
        permission: lower(permissionTypeName(acl.permissionType)),
      });
    }
  }
  return rows.sort((x, y) => `${x.resourceType}/${x.resourceName}/${x.principal}`.localeCompare(`${y.resourceType}/${y.resourceName}/${y.principal}`));
}

function show(rows: Listed[], json: boolean | undefined): void {
  if (json) printJson(rows);
  else print(table(['RESOURCE-TYPE', 'NAME', 'PATTERN', 'PRINCIPAL', 'HOST', 'OPERATION', 'PERMISSION'], rows.map((r) => [r.resourceType, r.resourceName, r.patternType, r.principal, r.host, r.operation, r.permission])));
}

export const aclsCommand: Command = {
  name: 'acls',
  summary: 'list, add and remove ACLs on a running broker (--authorizer acl)',
  help: () => HELP,
  async run(argv) {
    const args = parseAdminArgs(argv, OPTIONS, HELP);
    if (!args) return 0;
    // The whole target: the brokers with the security flags (--security-protocol, --sasl-*, --ssl-*).
    const { action, names } = args;
    const v = args.values as Values;
    if (names.length > 0) throw new UsageError(`unexpected argument "${names[0]}"; name resources with --topic, --group, --transactional-id or --cluster`);
    const resource = resourceOf(v);
    const operations = parsed(() => (v.operation ?? []).map((o) => parseOperation(o)));
    const host = v.host;
    switch (action) {
      case 'list':
      case 'remove': {
        if (action === 'remove' && !resource) throw new UsageError('acls remove needs a resource: --topic, --group, --transactional-id or --cluster');
        const pattern = parsed(() => (v['resource-pattern-type'] === undefined ? PatternType.ANY : parsePatternType(v['resource-pattern-type'], true)));
        const who = grantee(v, false);
        if (operations.length > 1) throw new UsageError(`acls ${action} takes at most one --operation`);
        const filter = {
          resourceType: resource?.type ?? ResourceType.ANY,
          resourceName: resource?.name,
          resourcePatternType: pattern,
          principal: who.principal,
          host,
          operation: operations[0] ?? AclOperation.ANY,
          permissionType: who.permission,
        };
        return admin(args, async (a) => {
          if (action === 'list') {
            show(await list(a, filter), v.json);
            return 0;
          }
          const { filterResponses } = await a.deleteAcls({ filters: [filter] });
          const removed = filterResponses.flatMap((f) => f.matchingAcls);
          if (v.json) printJson(removed);
          else print(`removed ${removed.length} ACL${removed.length === 1 ? '' : 's'}`);
          return 0;
        });
      }
      case 'add': {
        if (!resource) throw new UsageError('acls add needs a resource: --topic, --group, --transactional-id or --cluster');
        if (operations.length === 0) throw new UsageError('acls add needs --operation (e.g. --operation read)');
        const pattern = parsed(() => (v['resource-pattern-type'] === undefined ? PatternType.LITERAL : parsePatternType(v['resource-pattern-type'])));
        const who = grantee(v, true);
        const acl = operations.map((operation) => ({
          resourceType: resource.type,
          resourceName: resource.name,
          resourcePatternType: pattern,
          principal: who.principal!,
          host: host ?? '*',
          operation,
          permissionType: who.permission,
        }));
        return admin(args, async (a) => {
          await a.createAcls({ acl });
          print(`added ${acl.length} ACL${acl.length === 1 ? '' : 's'}`);
          return 0;
        });
      }
      default:
        throw new UsageError(action === undefined ? 'missing action: list, add or remove' : `unknown action "${action}": use list, add or remove`);
    }
  },
};
