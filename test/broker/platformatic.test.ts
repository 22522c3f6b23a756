/** @platformatic/kafka, the flexible-versions end (Metadata 12, Produce 11, Fetch 17 with topic IDs). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { readAll, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('@platformatic/kafka', () => {
  it('creates and lists topics, produces to two partitions, and the records are there', async () => {
    const bootstrapBrokers = [broker.address];
    const admin = new Admin({ clientId: 'admin', bootstrapBrokers });
    await admin.createTopics({ topics: ['plt'], partitions: 2, replicas: 1 });
    expect(await admin.listTopics()).toContain('plt');
    const producer = new Producer({ clientId: 'producer', bootstrapBrokers, serializers: stringSerializers });
    const result = await producer.send({ messages: Array.from({ length: 10 }, (_, i) => ({ topic: 'plt', key: `k${i}`, value: `v${i}`, partition: i % 2 })) });
    expect(result.offsets?.map((o) => [o.partition, Number(o.offset)]).sort()).toEqual([[0, 0], [1, 0]]);
    await producer.close();
    expect((await readAll(broker, 'plt', 1)).map((r) => r.value)).toEqual(['v1', 'v3', 'v5', 'v7', 'v9']);
    await admin.deleteTopics({ topics: ['plt'] });
    expect(await admin.listTopics()).not.toContain('plt');
    await admin.close();
  });

  it('auto-creates a topic through Metadata v12 and round-trips values', async () => {
    const bootstrapBrokers = [broker.address];
    const producer = new Producer({ clientId: 'producer2', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: true });
    await producer.send({ messages: Array.from({ length: 50 }, (_, i) => ({ topic: 'plt2', value: `m${i}`, partition: 0 })) });
    await producer.close();
    expect((await readAll(broker, 'plt2')).map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });
});
