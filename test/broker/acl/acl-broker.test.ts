/**
 * ACLs on a running broker, over real TCP with real clients (kafkajs and our raw codec client), as
 * User:ANONYMOUS from 127.0.0.1: kafkajs admin createAcls/describeAcls/deleteAcls, persistence across a
 * restart, prefixed and wildcard patterns, DENY over ALLOW, hosts, super users, allow-everyone-if-no-acl-
 * found, --max-acls, and the broker without --authorizer (everything allowed, ACL APIs SECURITY_DISABLED).
 */
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { CreateAcls, createCreateAclsRequest } from '../../../src/protocol/messages/create-acls.js';
import { DeleteAcls, createDeleteAclsRequest } from '../../../src/protocol/messages/delete-acls.js';
import { DescribeAcls, createDescribeAclsRequest } from '../../../src/protocol/messages/describe-acls.js';
import { Metadata, createMetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { Produce, createProduceRequest } from '../../../src/protocol/messages/produce.js';
import { DescribeGroups, createDescribeGroupsRequest } from '../../../src/protocol/messages/describe-groups.js';
import { CreateTopics, createCreateTopicsRequest } from '../../../src/protocol/messages/create-topics.js';
import { ConfigError, parseBrokerArgs, resolveConfig, brokerOptionsHelp } from '../../../src/broker/config.js';
import { AclOperation as Op, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../src/broker/acl/acl-types.js';
import { kafkaClient, RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';

const ME = 'User:ANONYMOUS';
let brokers: TestBroker[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const b of brokers.splice(0)) await b.stop();
});

async function broker(options: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const b = await startTestBroker({ authorizer: 'acl', ...options });
  brokers.push(b);
  return b;
}

async function raw(b: TestBroker): Promise<RawClient> {
  const c = await RawClient.connect(b);
  clients.push(c);
  return c;
}

function acl(fields: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: ME, host: '*', operation: Op.WRITE, permissionType: PermissionType.ALLOW, ...fields };
}

async function produce(c: RawClient, topic: string): Promise<number> {
  const res = await c.request(Produce, 9, createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('v') }] }) }] }] }));
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

async function listedTopics(c: RawClient): Promise<string[]> {
  const res = await c.request(Metadata, 9, createMetadataRequest({ topics: null }));
  return res.topics.map((t) => t.name!).sort();
}

describe('ACLs through kafkajs admin', () => {
  it('creates, describes and deletes ACLs, which persist across a restart and take effect', async () => {
    const dataDir = tempDir();
    let b = await broker({ dataDir });
    await b.context.topics.create('payments', 1, {});
    // Managing ACLs needs ALTER (create, delete) and DESCRIBE (list) on the cluster.
    await b.context.services.authorizer!.store.add([
      acl({ resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster', operation: Op.ALTER }),
      acl({ resourceType: ResourceType.CLUSTER, resourceName: 'kafka-cluster', operation: Op.DESCRIBE }),
    ]);
    const c1 = await raw(b);
    expect(await produce(c1, 'payments')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);

    const admin = kafkaClient(b).admin();
    await admin.connect();
    try {
      await admin.createAcls({
        acl: [
          { resourceType: AclResourceTypes.TOPIC, resourceName: 'pay', resourcePatternType: ResourcePatternTypes.PREFIXED, principal: ME, host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW },
          { resourceType: AclResourceTypes.GROUP, resourceName: 'g', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:bob', host: '10.0.0.1', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.DENY },
        ],
      });
      const described = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      // kafkajs returns the resources only (it throws on an error code).
      const pay = described.resources.find((r) => r.resourceName === 'pay');
      expect(pay).toMatchObject({ resourceType: AclResourceTypes.TOPIC, resourcePatternType: ResourcePatternTypes.PREFIXED, acls: [{ principal: ME, host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW }] });
      expect(described.resources.find((r) => r.resourceName === 'g')?.acls).toEqual([{ principal: 'User:bob', host: '10.0.0.1', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.DENY }]);
    } finally {
      await admin.disconnect();
    }
    expect(await produce(c1, 'payments')).toBe(ErrorCode.NONE);

    // Restart on the same data dir: the ACLs are still there and still apply.
    await b.close();
    brokers = brokers.filter((x) => x !== b);
    b = await broker({ dataDir });
    const c2 = await raw(b);
    expect(await produce(c2, 'payments')).toBe(ErrorCode.NONE);
    const admin2 = kafkaClient(b).admin();
    await admin2.connect();
    try {
      const deleted = await admin2.deleteAcls({
        filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'pay', resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
      });
      expect(deleted.filterResponses[0]!.matchingAcls.map((m) => [m.resourceName, m.resourcePatternType])).toEqual([['pay', ResourcePatternTypes.PREFIXED]]);
      const left = await admin2.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      expect(left.resources.map((r) => r.resourceName).sort()).toEqual(['g', 'kafka-cluster']);
    } finally {
      await admin2.disconnect();
    }
    expect(await produce(c2, 'payments')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('without --authorizer: everything is allowed and the ACL APIs answer SECURITY_DISABLED', async () => {
    const b = await startTestBroker();
    brokers.push(b);
    await b.context.topics.create('t', 1, {});
    expect(b.context.services.authorizer).toBeUndefined();
    const c = await raw(b);
    expect(await produce(c, 't')).toBe(ErrorCode.NONE);
    const admin = kafkaClient(b).admin();
    await admin.connect();
    try {
      await expect(admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })).rejects.toMatchObject({ type: 'SECURITY_DISABLED' });
    } finally {
      await admin.disconnect();
    }
    const created = await c.request(CreateAcls, 1, createCreateAclsRequest({ creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: ME, host: '*', operation: 3, permissionType: 3 }] }));
    expect(created.results[0]!.errorCode).toBe(ErrorCode.SECURITY_DISABLED);
  });
});

describe('ACL semantics over TCP', () => {
  it('applies prefixed and * patterns, and DENY overrides ALLOW', async () => {
    const b = await broker();
    for (const t of ['orders-eu', 'orders-us', 'billing']) await b.context.topics.create(t, 1, {});
    const store = b.context.services.authorizer!.store;
    const c = await raw(b);
    await store.add([acl({ resourceName: 'orders-', patternType: PatternType.PREFIXED })]);
    expect(await produce(c, 'orders-eu')).toBe(ErrorCode.NONE);
    expect(await produce(c, 'billing')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    // WRITE implies DESCRIBE: Metadata for all topics lists the prefixed ones only.
    expect(await listedTopics(c)).toEqual(['orders-eu', 'orders-us']);
    await store.add([acl({ resourceName: 'orders-eu', permissionType: PermissionType.DENY })]);
    expect(await produce(c, 'orders-eu')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(await produce(c, 'orders-us')).toBe(ErrorCode.NONE);
    await store.add([acl({ resourceName: '*', operation: Op.DESCRIBE })]);
    expect(await listedTopics(c)).toEqual(['billing', 'orders-eu', 'orders-us']);
    // A DENY for everyone on every topic beats every ALLOW.
    await store.add([acl({ resourceName: '*', principal: 'User:*', operation: Op.ALL, permissionType: PermissionType.DENY })]);
    expect(await produce(c, 'orders-us')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    expect(await listedTopics(c)).toEqual([]);
  });

  it('matches the client host: an ACL for another address does not apply to 127.0.0.1', async () => {
    const b = await broker();
    await b.context.topics.create('t', 1, {});
    const store = b.context.services.authorizer!.store;
    const c = await raw(b);
    await store.add([acl({ host: '10.9.9.9' })]);
    expect(await produce(c, 't')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    await store.add([acl({ host: '127.0.0.1' })]);
    expect(await produce(c, 't')).toBe(ErrorCode.NONE);
  });

  it('lets super users do everything, DENY or not (--super-users ANONYMOUS)', async () => {
    const b = await broker({ superUsers: 'admin,ANONYMOUS' });
    await b.context.services.authorizer!.store.add([acl({ resourceName: '*', principal: 'User:*', operation: Op.ALL, permissionType: PermissionType.DENY })]);
    const producer = kafkaClient(b).producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'auto-created', messages: [{ value: 'hello' }] });
    } finally {
      await producer.disconnect();
    }
    const admin = kafkaClient(b).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(['auto-created']);
      const offsets = await admin.fetchTopicOffsets('auto-created');
      expect(offsets[0]!.high).toBe('1');
    } finally {
      await admin.disconnect();
    }
  });

  it('opens resources without ACLs with --allow-everyone-if-no-acl-found, until one names them', async () => {
    const b = await broker({ allowEveryoneIfNoAclFound: true });
    await b.context.topics.create('t', 1, {});
    const c = await raw(b);
    expect(await produce(c, 't')).toBe(ErrorCode.NONE);
    await b.context.services.authorizer!.store.add([acl({ principal: 'User:someone-else' })]);
    expect(await produce(c, 't')).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  });

  it('refuses invalid ACLs with INVALID_REQUEST and ACLs past --max-acls with POLICY_VIOLATION', async () => {
    const b = await broker({ maxAcls: 2, superUsers: 'ANONYMOUS' });
    const c = await raw(b);
    const creation = (name: string, extra = {}) => ({ resourceType: 2, resourceName: name, resourcePatternType: 3, principal: 'User:a', host: '*', operation: Op.READ, permissionType: 3, ...extra });
    const res = await c.request(CreateAcls, 2, createCreateAclsRequest({ creations: [creation('a'), creation('b', { principal: 'alice' }), creation('c'), creation('d')] }));
    expect(res.results.map((r) => r.errorCode)).toEqual([0, ErrorCode.INVALID_REQUEST, 0, ErrorCode.POLICY_VIOLATION]);
    expect(res.results[1]!.errorMessage).toMatch(/User:<name>/);
    expect(res.results[3]!.errorMessage).toMatch(/--max-acls/);
    expect(b.context.services.authorizer!.store.size).toBe(2);
  });
});

describe('ACL APIs with bad filters and old versions', () => {
  it('answers INVALID_REQUEST for a filter with unknown elements, per filter, and serves v0 as literal-only', async () => {
    const b = await broker({ superUsers: 'ANONYMOUS' });
    const c = await raw(b);
    const bad = await c.request(DescribeAcls, 2, createDescribeAclsRequest({ resourceTypeFilter: 99, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }));
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, resources: [] });
    expect(bad.errorMessage).toMatch(/resource type 99/);
    // v0 has no pattern type: its creations are literal.
    const v0 = await c.request(CreateAcls, 0, createCreateAclsRequest({ creations: [{ resourceType: 2, resourceName: 'old', resourcePatternType: 4, principal: ME, host: '*', operation: 3, permissionType: 3 }] }));
    expect(v0.results[0]!.errorCode).toBe(0);
    expect(b.context.services.authorizer!.store.matching(ResourceType.TOPIC, 'old')[0]!.patternType).toBe(PatternType.LITERAL);
    const filter = { resourceTypeFilter: 2, resourceNameFilter: 'old', patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
    const deleted = await c.request(DeleteAcls, 3, createDeleteAclsRequest({ filters: [{ ...filter, operation: 0 }, filter] }));
    expect(deleted.filterResults.map((r) => [r.errorCode, r.matchingAcls.length])).toEqual([[ErrorCode.INVALID_REQUEST, 0], [0, 1]]);
    expect(b.context.services.authorizer!.store.size).toBe(0);
  });
});

describe('authorized operations and configs in responses', () => {
  it('fills Metadata and DescribeGroups authorized operations, and withholds CreateTopics configs without DESCRIBE_CONFIGS', async () => {
    const b = await broker();
    await b.context.topics.create('t', 1, {});
    const store = b.context.services.authorizer!.store;
    await store.add([
      acl({ operation: Op.READ }),
      acl({ resourceType: ResourceType.GROUP, resourceName: 'g', operation: Op.READ }),
      acl({ resourceName: 'made', operation: Op.CREATE }),
    ]);
    const c = await raw(b);
    const meta = await c.request(Metadata, 9, createMetadataRequest({ topics: [{ name: 't', topicId: '00000000-0000-0000-0000-000000000000' }], includeTopicAuthorizedOperations: true }));
    expect(meta.topics[0]!.topicAuthorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    const groups = await c.request(DescribeGroups, 3, createDescribeGroupsRequest({ groups: ['g'], includeAuthorizedOperations: true }));
    expect(groups.groups[0]!.authorizedOperations).toBe((1 << Op.READ) | (1 << Op.DESCRIBE));
    const created = await c.request(CreateTopics, 5, createCreateTopicsRequest({ topics: [{ name: 'made', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }));
    expect(created.topics[0]).toMatchObject({ errorCode: 0, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, configs: [] });
  });
});

describe('authorizer settings', () => {
  it('parses the flags, checks --super-users, and lists them in --help', () => {
    const cfg = parseBrokerArgs(['--authorizer', 'acl', '--super-users', 'admin,User:ops', '--allow-everyone-if-no-acl-found', 'true', '--max-acls', '10']);
    expect([cfg.authorizer, cfg.superUsers, cfg.allowEveryoneIfNoAclFound, cfg.maxAcls]).toEqual(['acl', 'admin,User:ops', true, 10]);
    expect(resolveConfig({}).authorizer).toBe('none');
    expect(resolveConfig({}).allowEveryoneIfNoAclFound).toBe(false);
    expect(() => resolveConfig({ superUsers: 'Group:admins' })).toThrow(ConfigError);
    expect(() => parseBrokerArgs(['--authorizer', 'simple'])).toThrow(/none\|acl/);
    const help = brokerOptionsHelp();
    for (const flag of ['--authorizer', '--super-users', '--allow-everyone-if-no-acl-found', '--max-acls']) expect(help).toContain(flag);
  });
});
