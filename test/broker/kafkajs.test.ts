/** kafkajs end to end: admin topics, producer with acks 0/1/-1 and gzip/none, read back with raw Fetch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes } from 'kafkajs';
import { kafkaClient, readAll, startTestBroker, type TestBroker } from './helpers.js';
import { until } from '../until.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

describe('kafkajs against the broker', () => {
  it('creates, lists and deletes topics', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'a1', numPartitions: 3 }, { topic: 'a2' }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'a1' }] })).toBe(false); // already exists
      expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining(['a1', 'a2']));
      const meta = await admin.fetchTopicMetadata({ topics: ['a1'] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(meta.topics[0]!.partitions[0]).toMatchObject({ leader: 0, replicas: [0], isr: [0] });
      await admin.deleteTopics({ topics: ['a2'] });
      expect(await admin.listTopics()).not.toContain('a2');
      await expect(admin.createTopics({ topics: [{ topic: 'bad name!' }] })).rejects.toThrow();
      const err = await admin.createTopics({ topics: [{ topic: 'rf3', replicationFactor: 3 }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
      expect((err as { errors: Array<{ type: string }> }).errors[0]!.type).toBe('INVALID_REPLICATION_FACTOR');
    } finally {
      await admin.disconnect();
    }
  });

  for (const acks of [0, 1, -1]) {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      it(`produces with acks=${acks}, ${compression === CompressionTypes.None ? 'uncompressed' : 'gzip'}, and reads every record back`, async () => {
        const topic = `p-${acks < 0 ? 'all' : acks}-${compression}`;
        const admin = kafkaClient(broker).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
        await admin.disconnect();
        const producer = kafkaClient(broker).producer();
        await producer.connect();
        const sent: string[] = [];
        for (let b = 0; b < 5; b++) {
          const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${b}-${i}`, value: `value ${b}-${i} ${'x'.repeat(i % 50)}` }));
          sent.push(...messages.map((m) => m.value));
          const res = await producer.send({ topic, acks, compression, messages });
          if (acks !== 0) expect(res[0]).toMatchObject({ errorCode: 0, baseOffset: String(b * 200) });
        }
        await producer.disconnect();
        // acks=0 has no response: wait until everything is visible.
        let got = await readAll(broker, topic);
        await until(async () => (got = await readAll(broker, topic)).length >= sent.length, `all ${sent.length} records of an acks=${acks} producer to be readable`);
        expect(got.map((r) => r.value)).toEqual(sent);
        expect(got.map((r) => r.offset)).toEqual(sent.map((_, i) => BigInt(i)));
        expect(got[1]!.key).toBe('k0-1');
      });
    }
  }

  it('reports the high watermark and earliest offsets through admin', async () => {
    const producer = kafkaClient(broker).producer();
    await producer.connect();
    await producer.send({ topic: 'offsets', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }); // auto-created
    await producer.disconnect();
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    expect(await admin.fetchTopicOffsets('offsets')).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    await admin.deleteTopicRecords({ topic: 'offsets', partitions: [{ partition: 0, offset: '2' }] });
    expect((await admin.fetchTopicOffsets('offsets'))[0]).toMatchObject({ low: '2', high: '3' });
    await admin.disconnect();
  });

  it('creates partitions and describes configs', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 4 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ['grow'] });
      expect(meta.topics[0]!.partitions).toHaveLength(4);
      const described = await admin.describeConfigs({ resources: [{ type: 2, name: 'grow' }], includeSynonyms: false });
      const entries = described.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === 'retention.ms')).toMatchObject({ configValue: '3600000', isDefault: false });
      expect(entries.find((e) => e.configName === 'segment.bytes')).toMatchObject({ configValue: String(2 ** 30), isDefault: true });
      const brokerCfg = await admin.describeConfigs({ resources: [{ type: 4, name: '0' }], includeSynonyms: false });
      expect(brokerCfg.resources[0]!.configEntries.find((e) => e.configName === 'auto.create.topics.enable')?.configValue).toBe('true');
    } finally {
      await admin.disconnect();
    }
  });
});
