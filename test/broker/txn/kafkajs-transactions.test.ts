/**
 * kafkajs transactions against the broker over TCP: send, sendOffsets, commit, abort; read_committed never
 * sees aborted or open records, nor markers as data; the epoch fences a zombie producer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { ListOffsets } from '../../../src/protocol/messages/list-offsets.js';
import { kafkaClient, RawClient, startTestBroker, type TestBroker } from '../helpers.js';
import { within } from '../../until.js';
import { readIsolated } from './txn-helpers.js';

let broker: TestBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startTestBroker();
  kafka = kafkaClient(broker);
});
afterAll(async () => {
  await broker?.stop();
});

async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  await admin.disconnect();
}

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 30_000 });
  await producer.connect();
  return producer;
}

/** ListOffsets v5 for the latest offset at an isolation level (0 read_uncommitted, 1 read_committed). */
async function latestOffset(topic: string, isolationLevel: number): Promise<bigint> {
  const c = await RawClient.connect(broker);
  try {
    const res = await c.request(ListOffsets, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
    return res.topics[0]!.partitions[0]!.offset;
  } finally {
    c.close();
  }
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` }));

describe('kafkajs transactions', () => {
  it('commits and aborts across partitions; read_committed sees only committed records, never markers', async () => {
    const topic = 'tx-basic';
    await createTopic(topic, 2);
    const producer = await transactionalProducer('tx-basic-id');
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic, messages: values('c1', 3).map((m) => ({ ...m, partition: 0 })) });
      await t1.send({ topic, messages: values('c1p1', 2).map((m) => ({ ...m, partition: 1 })) });
      await t1.commit();
      const t2 = await producer.transaction();
      await t2.send({ topic, messages: values('a2', 4).map((m) => ({ ...m, partition: 0 })) });
      await t2.send({ topic, messages: values('a2p1', 1).map((m) => ({ ...m, partition: 1 })) });
      await t2.abort();
      const t3 = await producer.transaction();
      await t3.send({ topic, messages: values('c3', 2).map((m) => ({ ...m, partition: 0 })) });
      await t3.commit();
    } finally {
      await producer.disconnect();
    }
    const committed = await readIsolated(broker, topic, 0, true);
    expect(committed.values).toEqual(['c1-0', 'c1-1', 'c1-2', 'c3-0', 'c3-1']);
    expect(committed.markers.map((m) => m.commit)).toEqual([true, false, true]);
    expect(committed.lastStableOffset).toBe(committed.highWatermark);
    const uncommitted = await readIsolated(broker, topic, 0, false);
    expect(uncommitted.values).toEqual(['c1-0', 'c1-1', 'c1-2', 'a2-0', 'a2-1', 'a2-2', 'a2-3', 'c3-0', 'c3-1']);
    expect((await readIsolated(broker, topic, 1, true)).values).toEqual(['c1p1-0', 'c1p1-1']);

    // A real read_committed consumer (kafkajs' default isolation) reads the same, markers never as data.
    const consumer = kafka.consumer({ groupId: 'tx-basic-reader' });
    await consumer.connect();
    const seen: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (partition === 0) seen.push(message.value?.toString() ?? '<null>');
        if (seen.length >= 5) resolveDone();
      },
    });
    try {
      await within(done, 'the read_committed consumer to read the committed records', 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(['c1-0', 'c1-1', 'c1-2', 'c3-0', 'c3-1']);
  });

  it('holds back read_committed at an open transaction while read_uncommitted reads on (interleaved data)', async () => {
    const topic = 'tx-interleaved';
    await createTopic(topic);
    const plain = kafka.producer();
    await plain.connect();
    const producer = await transactionalProducer('tx-interleaved-id');
    try {
      await plain.send({ topic, messages: [{ value: 'plain-0' }] });
      const open = await producer.transaction();
      await open.send({ topic, messages: [{ value: 'tx-0' }] });
      await plain.send({ topic, messages: [{ value: 'plain-1' }] });
      await open.send({ topic, messages: [{ value: 'tx-1' }] });
      await plain.send({ topic, messages: [{ value: 'plain-2' }] });

      let committed = await readIsolated(broker, topic, 0, true);
      expect(committed.values).toEqual(['plain-0']); // stops at the open transaction's first offset
      expect(committed.lastStableOffset).toBe(1n);
      expect((await readIsolated(broker, topic, 0, false)).values).toEqual(['plain-0', 'tx-0', 'plain-1', 'tx-1', 'plain-2']);

      // ListOffsets honours the isolation level (kafkajs' admin asks read_committed).
      const admin = kafka.admin();
      await admin.connect();
      expect((await admin.fetchTopicOffsets(topic))[0]!.high).toBe('1');
      await admin.disconnect();
      expect(await latestOffset(topic, 0)).toBe(5n);
      expect(await latestOffset(topic, 1)).toBe(1n);

      await open.abort();
      const after = await producer.transaction();
      await after.send({ topic, messages: [{ value: 'tx-2' }] });
      await plain.send({ topic, messages: [{ value: 'plain-3' }] });
      await after.commit();
      committed = await readIsolated(broker, topic, 0, true);
      expect(committed.values).toEqual(['plain-0', 'plain-1', 'plain-2', 'tx-2', 'plain-3']);
      expect(committed.controlRecordsSeen).toBe(0);
    } finally {
      await producer.disconnect();
      await plain.disconnect();
    }
  });

  it('sendOffsets: offsets become visible on commit only, and are dropped on abort', async () => {
    const topic = 'tx-offsets';
    const groupId = 'tx-offsets-group';
    await createTopic(topic);
    const admin = kafka.admin();
    await admin.connect();
    const committedOffset = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset;
    const producer = await transactionalProducer('tx-offsets-id');
    try {
      const t1 = await producer.transaction();
      await t1.send({ topic, messages: [{ value: 'out-1' }] });
      await t1.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }] });
      expect(await committedOffset()).toBe('-1'); // pending until the commit
      await t1.commit();
      await within(
        (async () => {
          while ((await committedOffset()) !== '7') await new Promise((r) => setTimeout(r, 20));
        })(),
        'the committed transaction\'s offset to show',
      );
      const t2 = await producer.transaction();
      await t2.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '9' }] }] });
      await t2.abort();
      expect(await committedOffset()).toBe('7');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('fences a zombie: the older producer of a transactional id fails once a newer one initializes', async () => {
    const topic = 'tx-zombie';
    await createTopic(topic);
    const zombie = await transactionalProducer('tx-zombie-id');
    const open = await zombie.transaction();
    await open.send({ topic, messages: [{ value: 'zombie-0' }] });
    const successor = await transactionalProducer('tx-zombie-id');
    try {
      // kafkajs registers the transactional id (InitProducerId) on its first transaction: the epoch is bumped
      // and the zombie's open transaction aborted.
      const t = await successor.transaction();
      const err = await open.send({ topic, messages: [{ value: 'zombie-1' }] }).then(() => null, (e: { type?: string; name?: string }) => e);
      expect(err).not.toBeNull();
      expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']).toContain(err!.type ?? err!.name);
      const commitErr = await open.commit().then(() => null, (e: unknown) => e);
      expect(commitErr).not.toBeNull();
      await t.send({ topic, messages: [{ value: 'successor-0' }] });
      await t.commit();
    } finally {
      await successor.disconnect();
      await zombie.disconnect().catch(() => undefined);
    }
    expect((await readIsolated(broker, topic, 0, true)).values).toEqual(['successor-0']);
  });
});
