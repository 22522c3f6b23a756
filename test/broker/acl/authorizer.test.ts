/**
 * The authorizer's decisions with Kafka's AclAuthorizer semantics, over a real ACL store in a temp dir:
 * literal, prefixed and wildcard patterns, principals and hosts, ALL and the implied operations, DENY over
 * ALLOW, super users and allow-everyone-if-no-acl-found; plus a property test that a DENY always wins.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AclStore } from '../../../src/broker/acl/acl-store.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../src/broker/acl/acl-types.js';
import { Authorizer } from '../../../src/broker/acl/authorizer.js';
import { parseSuperUsers } from '../../../src/broker/acl/principals.js';

let dir: string;
let store: AclStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-acl-'));
  store = AclStore.open(dir).store;
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function acl(fields: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW, ...fields };
}

function authorizer(options: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}): Authorizer {
  return new Authorizer(store, { superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false });
}

const ALICE = 'User:alice';
const BOB = 'User:bob';
const HOST = '10.0.0.1';

describe('Authorizer', () => {
  it('denies a resource without ACLs unless allow-everyone-if-no-acl-found, which an ACL for anyone else ends', async () => {
    expect(authorizer().authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(false);
    expect(authorizer({ allowEveryoneIfNoAclFound: true }).authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(true);
    await store.add([acl({ principal: BOB })]);
    expect(authorizer({ allowEveryoneIfNoAclFound: true }).authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(false);
    expect(authorizer({ allowEveryoneIfNoAclFound: true }).authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'other')).toBe(true);
  });

  it('matches the principal (or User:*) and the host (or *)', async () => {
    await store.add([acl({ host: HOST }), acl({ resourceName: 'u', principal: 'User:*' })]);
    const a = authorizer();
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(true);
    expect(a.authorize(ALICE, '10.0.0.2', Op.READ, ResourceType.TOPIC, 't')).toBe(false);
    expect(a.authorize(BOB, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(false);
    expect(a.authorize(BOB, '10.9.9.9', Op.READ, ResourceType.TOPIC, 'u')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.GROUP, 't')).toBe(false); // another resource type
  });

  it('applies literal, prefixed and * wildcard patterns', async () => {
    await store.add([
      acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED }),
      acl({ resourceType: ResourceType.GROUP, resourceName: '*' }),
    ]);
    const a = authorizer();
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'orders-eu')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'orders-')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'x-orders-eu')).toBe(false);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.GROUP, 'any-group')).toBe(true);
    // A literal ACL named like the prefix is not a prefix.
    await store.add([acl({ resourceName: 'pay', principal: BOB })]);
    expect(a.authorize(BOB, HOST, Op.READ, ResourceType.TOPIC, 'payments')).toBe(false);
  });

  it('finds prefixed ACLs by probing the name\'s prefixes once they outnumber its length', async () => {
    await store.add(Array.from({ length: 100 }, (_, i) => acl({ resourceName: `p${i}-`, patternType: PatternType.PREFIXED, principal: i === 42 ? ALICE : BOB })));
    await store.add([acl({ resourceName: 'p4', patternType: PatternType.PREFIXED, principal: ALICE, operation: Op.WRITE, permissionType: PermissionType.DENY })]);
    const a = authorizer();
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'p42-x')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'p43-x')).toBe(false);
    expect(a.authorize(BOB, HOST, Op.READ, ResourceType.TOPIC, 'p7-')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.WRITE, ResourceType.TOPIC, 'p42-x')).toBe(false);
    expect(store.matching(ResourceType.TOPIC, 'p42-x').map((b) => b.resourceName).sort()).toEqual(['p4', 'p42-']);
  });

  it('lets DENY override ALLOW, across pattern types', async () => {
    await store.add([
      acl({ resourceName: '*', operation: Op.ALL }),
      acl({ resourceName: 'secret-', patternType: PatternType.PREFIXED, operation: Op.READ, permissionType: PermissionType.DENY }),
      acl({ resourceName: 'plain', host: HOST, operation: Op.WRITE, permissionType: PermissionType.DENY }),
    ]);
    const a = authorizer();
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'plain')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 'secret-x')).toBe(false);
    expect(a.authorize(ALICE, HOST, Op.WRITE, ResourceType.TOPIC, 'plain')).toBe(false);
    expect(a.authorize(ALICE, '10.0.0.2', Op.WRITE, ResourceType.TOPIC, 'plain')).toBe(true); // the DENY names one host
    // DENY READ does not deny DESCRIBE (implication is for ALLOW only), which the wildcard ALL allows.
    expect(a.authorize(ALICE, HOST, Op.DESCRIBE, ResourceType.TOPIC, 'secret-x')).toBe(true);
  });

  it('treats ALL as every operation and derives DESCRIBE and DESCRIBE_CONFIGS as Kafka does', async () => {
    const a = authorizer();
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      await store.remove([{ resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY }]);
      await store.add([acl({ operation: op })]);
      expect(a.authorize(ALICE, HOST, Op.DESCRIBE, ResourceType.TOPIC, 't')).toBe(true);
      expect(a.authorize(ALICE, HOST, Op.CREATE, ResourceType.TOPIC, 't')).toBe(false);
    }
    await store.add([acl({ resourceName: 'c', operation: Op.ALTER_CONFIGS })]);
    expect(a.authorize(ALICE, HOST, Op.DESCRIBE_CONFIGS, ResourceType.TOPIC, 'c')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.DESCRIBE, ResourceType.TOPIC, 'c')).toBe(false);
    await store.add([acl({ resourceName: 'all', operation: Op.ALL })]);
    for (const op of [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]) {
      expect(a.authorize(ALICE, HOST, op, ResourceType.TOPIC, 'all')).toBe(true);
    }
    expect(a.authorizedOperations(ALICE, HOST, ResourceType.TOPIC, 'c')).toBe((1 << Op.ALTER_CONFIGS) | (1 << Op.DESCRIBE_CONFIGS));
  });

  it('lets super users do anything, even against a DENY', async () => {
    await store.add([acl({ principal: 'User:*', operation: Op.ALL, permissionType: PermissionType.DENY })]);
    const a = authorizer({ superUsers: parseSuperUsers('admin,User:ops') });
    expect(a.authorize('User:admin', HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(true);
    expect(a.authorize('User:ops', HOST, Op.ALTER, ResourceType.CLUSTER, 'kafka-cluster')).toBe(true);
    expect(a.authorize(ALICE, HOST, Op.READ, ResourceType.TOPIC, 't')).toBe(false);
  });

  it('answers "WRITE on some topic" as Kafka\'s authorizeByResourceType', async () => {
    const a = authorizer();
    expect(a.authorizeByResourceType(ALICE, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(false);
    await store.add([acl({ resourceName: 'p-', patternType: PatternType.PREFIXED, operation: Op.WRITE })]);
    expect(a.authorizeByResourceType(ALICE, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(true);
    expect(a.authorizeByResourceType(BOB, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(false);
    // A DENY prefix covering the ALLOW removes it; a literal ALLOW outside it counts again.
    await store.add([acl({ resourceName: 'p', patternType: PatternType.PREFIXED, operation: Op.WRITE, permissionType: PermissionType.DENY })]);
    expect(a.authorizeByResourceType(ALICE, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(false);
    await store.add([acl({ resourceName: 'q', operation: Op.ALL })]);
    expect(a.authorizeByResourceType(ALICE, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(true);
    // A wildcard DENY ends it.
    await store.add([acl({ resourceName: '*', operation: Op.WRITE, permissionType: PermissionType.DENY })]);
    expect(a.authorizeByResourceType(ALICE, HOST, Op.WRITE, ResourceType.TOPIC)).toBe(false);
  });

  it('property: an applicable DENY refuses whatever else is stored; removing it restores the earlier answer', async () => {
    const names = fc.constantFrom('a', 'ab', 'abc', 'b', '*');
    const arbAcl = fc.record({
      resourceType: fc.constantFrom(ResourceType.TOPIC, ResourceType.GROUP),
      resourceName: names,
      patternType: fc.constantFrom(PatternType.LITERAL, PatternType.PREFIXED),
      principal: fc.constantFrom(ALICE, BOB, 'User:*'),
      host: fc.constantFrom('*', HOST, '10.0.0.2'),
      operation: fc.constantFrom(Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE),
      permissionType: fc.constantFrom(PermissionType.ALLOW, PermissionType.DENY),
    });
    const a = authorizer();
    await fc.assert(
      fc.asyncProperty(fc.array(arbAcl, { maxLength: 12 }), fc.constantFrom('a', 'abc', 'b', 'zz'), fc.constantFrom(Op.READ, Op.WRITE, Op.DESCRIBE), async (acls, name, op) => {
        const everything = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY };
        await store.remove([everything]);
        await store.add(acls);
        const before = a.authorize(ALICE, HOST, op, ResourceType.TOPIC, name);
        const deny = acl({ resourceName: name.slice(0, 1), patternType: PatternType.PREFIXED, principal: 'User:*', host: HOST, operation: op, permissionType: PermissionType.DENY });
        const existed = store.list({ ...deny, resourceName: deny.resourceName }).length > 0;
        await store.add([deny]);
        expect(a.authorize(ALICE, HOST, op, ResourceType.TOPIC, name)).toBe(false);
        if (!existed) {
          await store.remove([{ ...deny }]);
          expect(a.authorize(ALICE, HOST, op, ResourceType.TOPIC, name)).toBe(before);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseSuperUsers', () => {
  it('takes bare names, User: principals and Kafka\'s ;-separated form, and refuses other types', () => {
    expect(parseSuperUsers('admin, ops')).toEqual(['User:admin', 'User:ops']);
    expect(parseSuperUsers('User:CN=admin,OU=x;User:ops')).toEqual(['User:CN=admin,OU=x', 'User:ops']);
    expect(parseSuperUsers(null)).toEqual([]);
    expect(() => parseSuperUsers('Group:admins')).toThrow(/only the User principal type/);
    expect(() => parseSuperUsers('User:')).toThrow(/empty name/);
  });
});
