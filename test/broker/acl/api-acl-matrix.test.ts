/**
 * The ACL matrix (issue 13), generated from api-acl-table.ts: for every implemented API, over real TCP as
 * User:ANONYMOUS against a broker with --authorizer acl, the request is refused with the right
 * *_AUTHORIZATION_FAILED error while each required ACL is missing (granting them one at a time, in Kafka's
 * order), and succeeds once all are granted. ACLs are granted through the broker's own store between
 * requests; everything else goes over the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { Produce, createProduceRequest } from '../../../src/protocol/messages/produce.js';
import { handlers } from '../../../src/broker/handlers/index.js';
import { AclOperation, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../src/broker/acl/acl-types.js';
import type { Authorizer } from '../../../src/broker/acl/authorizer.js';
import { RawClient, startTestBroker, type TestBroker } from '../helpers.js';
import { MATRIX, TOPIC, type Grant } from './api-acl-table.js';

const ANY_ACL = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY };

function binding(g: Grant): AclBinding {
  return { resourceType: g.type, resourceName: g.name, patternType: PatternType.LITERAL, principal: 'User:ANONYMOUS', host: '*', operation: g.op, permissionType: PermissionType.ALLOW };
}

describe('ACL matrix: the table covers every API', () => {
  it('has at least one case for every registered handler, and no case for an API that is not registered', () => {
    const registered = new Set(handlers.map((h) => h.codec.name));
    const covered = new Set(MATRIX.map((c) => c.codec.name));
    expect([...registered].filter((n) => !covered.has(n)), 'add these APIs to test/broker/acl/api-acl-table.ts').toEqual([]);
    expect([...covered].filter((n) => !registered.has(n))).toEqual([]);
    for (const c of MATRIX) {
      const h = handlers.find((x) => x.codec.name === c.codec.name)!;
      expect(c.version, c.label).toBeGreaterThanOrEqual(h.minVersion);
      expect(c.version, c.label).toBeLessThanOrEqual(h.maxVersion);
    }
  });
});

describe('ACL matrix over TCP (--authorizer acl, principal User:ANONYMOUS)', () => {
  let broker: TestBroker;
  let client: RawClient;
  let authorizer: Authorizer;

  beforeAll(async () => {
    broker = await startTestBroker({ authorizer: 'acl' });
    authorizer = broker.context.services.authorizer!;
    await broker.context.topics.create(TOPIC, 1, {});
    client = await RawClient.connect(broker);
    // One record through the produce path (the producer-state guard sees it), under a temporary grant.
    await authorizer.store.add([binding({ type: ResourceType.TOPIC, name: TOPIC, op: AclOperation.WRITE })]);
    const first = await client.request(Produce, 9, createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('first') }] }) }] }] }));
    expect(first.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });
  afterAll(async () => {
    client?.close();
    await broker?.stop();
  });

  for (const c of MATRIX) {
    it(c.label, async () => {
      await authorizer.store.remove([ANY_ACL]);
      const prepared = (await c.setup?.(broker)) ?? {};
      for (let i = 0; i <= c.steps.length; i++) {
        await authorizer.store.remove([ANY_ACL]);
        await authorizer.store.add(c.steps.slice(0, i).map((s) => binding(s.grant)));
        const res = await client.request(c.codec, c.version, c.request(prepared) as never);
        const codes = c.codes(res);
        expect(codes.length, `${c.label}: the response has parts to check`).toBeGreaterThan(0);
        const expected = i < c.steps.length ? c.steps[i]!.refusal : (c.success ?? ErrorCode.NONE);
        const granted = c.steps.slice(0, i).map((s) => `${s.grant.name}:${s.grant.op}`);
        expect(codes, `${c.label} with grants [${granted.join(', ')}]`).toEqual(codes.map(() => expected));
      }
    });
  }
});
