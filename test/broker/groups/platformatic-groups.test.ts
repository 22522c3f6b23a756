/**
 * @platformatic/kafka speaks the newest, flexible versions (JoinGroup 9, SyncGroup 5, Heartbeat 4,
 * OffsetCommit/OffsetFetch 9, FindCoordinator 6, ListGroups 5, DescribeGroups 5, DeleteGroups 2,
 * InitProducerId 5): a group of two of its consumers, its idempotent producer, and its admin calls.
 */
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll, startTestBroker, type TestBroker } from '../helpers.js';
import { waitFor } from './group-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('@platformatic/kafka consumer group', () => {
  it('two consumers share a topic, commit, and the group can be listed, described and deleted', async () => {
    const bootstrapBrokers = [broker.address];
    const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers });
    const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers, idempotent: true });
    const consumers: Consumer<string, string, string, string>[] = [];
    try {
      await admin.createTopics({ topics: ['plt'], partitions: 4, replicas: 1 });
      const values = Array.from({ length: 200 }, (_, i) => `v${i}`);
      await producer.send({ messages: values.map((v) => ({ topic: 'plt', key: v, value: v })) });
      // Idempotent: exactly once in the log.
      const logged = (await Promise.all([0, 1, 2, 3].map((p) => readAll(broker, 'plt', p)))).flat();
      expect(logged.map((r) => r.value).sort()).toEqual([...values].sort());

      const seen = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const consumer = new Consumer({ clientId: `plt-${i}`, groupId: 'plt-group', bootstrapBrokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500 });
        const stream = await consumer.consume({ topics: ['plt'], mode: 'earliest', autocommit: 100 });
        stream.on('data', (m) => seen.add(m.value));
        consumers.push(consumer);
      }
      await waitFor(() => seen.size === values.length, 30_000, 'every message');

      await waitFor(async () => {
        const described = await admin.describeGroups({ groups: ['plt-group'] });
        const g = described.get('plt-group');
        return g?.state === 'STABLE' && g.members.size === 2;
      }, 30_000, 'a stable group of two');
      const listed = await admin.listGroups();
      expect(listed.get('plt-group')).toMatchObject({ state: 'STABLE', protocolType: 'consumer', groupType: 'classic' });
      await waitFor(async () => {
        const [offsets] = await admin.listConsumerGroupOffsets({ groups: ['plt-group'] });
        return (offsets?.topics[0]?.partitions ?? []).reduce((n, p) => n + Number(p.committedOffset), 0) === values.length;
      }, 30_000, 'commits up to the end of every partition');

      for (const c of consumers.splice(0)) await c.close(true);
      await admin.deleteGroups({ groups: ['plt-group'] });
      expect([...(await admin.listGroups()).keys()]).not.toContain('plt-group');
    } finally {
      for (const c of consumers) {
        try {
          await c.close(true);
        } catch {
          // already closing
        }
      }
      await producer.close().catch(() => {});
      await admin.close().catch(() => {});
    }
  });
});
