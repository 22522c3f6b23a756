/**
 * Real clients need exactly the ACLs Kafka's documentation prescribes, no more: a kafkajs idempotent
 * producer with WRITE on its topics (Kafka 3.x: no IDEMPOTENT_WRITE needed), a consumer group with READ on
 * the topics and on the group, and a transactional producer with WRITE on its transactional id. The ACLs
 * use prefixed patterns, as a team would grant them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AclOperation as Op, PatternType, PermissionType, ResourceType, type AclBinding } from '../../../src/broker/acl/acl-types.js';
import { kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';
import { waitFor } from '../groups/group-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ authorizer: 'acl' });
  await broker.context.topics.create('team-a.events', 2, {});
});
afterAll(async () => {
  await broker?.stop();
});

function grant(resourceType: number, resourceName: string, operation: number, patternType: number = PatternType.PREFIXED): AclBinding {
  return { resourceType, resourceName, patternType, principal: 'User:ANONYMOUS', host: '*', operation, permissionType: PermissionType.ALLOW };
}

describe('kafkajs under ACLs', () => {
  it('produces idempotently, transactionally, and consumes in a group with the documented ACLs only', async () => {
    const store = broker.context.services.authorizer!.store;
    await store.add([
      grant(ResourceType.TOPIC, 'team-a.', Op.WRITE),
      grant(ResourceType.TOPIC, 'team-a.', Op.READ),
      grant(ResourceType.GROUP, 'team-a.', Op.READ),
      grant(ResourceType.TRANSACTIONAL_ID, 'team-a.', Op.WRITE),
    ]);
    const kafka = kafkaClient(broker);

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'team-a.events', acks: -1, messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }] });
    await producer.disconnect();

    const txProducer = kafka.producer({ transactionalId: 'team-a.tx', maxInFlightRequests: 1, idempotent: true });
    await txProducer.connect();
    const txn = await txProducer.transaction();
    await txn.send({ topic: 'team-a.events', messages: [{ key: 'k3', value: 'three' }] });
    await txn.commit();
    await txProducer.disconnect();

    // Outside the granted prefix the same client is refused.
    const outsider = kafka.producer();
    await outsider.connect();
    await expect(outsider.send({ topic: 'team-b.events', messages: [{ value: 'x' }] })).rejects.toMatchObject({ cause: { type: 'TOPIC_AUTHORIZATION_FAILED' } });
    await outsider.disconnect();

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: 'team-a.readers', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'team-a.events', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    try {
      await waitFor(() => seen.length >= 3, 20_000, 'three records consumed under ACLs');
    } finally {
      await consumer.disconnect();
    }
    expect(seen.sort()).toEqual(['one', 'three', 'two']);
    // Its offsets were committed under READ on the group and the topic.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: 'team-a.readers', topics: ['team-a.events'] });
      const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
      expect(committed).toBeGreaterThanOrEqual(3);
    } finally {
      await admin.disconnect();
    }
  });
});
