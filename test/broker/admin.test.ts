/** Admin APIs at the wire level: CreateTopics edge cases, DeleteTopics by id, ListOffsets by timestamp, DeleteRecords, DescribeConfigs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCreateTopicsRequest, CreateTopics } from '../../src/protocol/messages/create-topics.js';
import { createDeleteTopicsRequest, DeleteTopics } from '../../src/protocol/messages/delete-topics.js';
import { createCreatePartitionsRequest, CreatePartitions } from '../../src/protocol/messages/create-partitions.js';
import { createDeleteRecordsRequest, DeleteRecords } from '../../src/protocol/messages/delete-records.js';
import { createDescribeConfigsRequest, DescribeConfigs } from '../../src/protocol/messages/describe-configs.js';
import { createListOffsetsRequest, ListOffsets } from '../../src/protocol/messages/list-offsets.js';
import { createMetadataRequest, Metadata } from '../../src/protocol/messages/metadata.js';
import { produceRaw, RawClient, readAll, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ numPartitions: 2 });
  c = await RawClient.connect(broker);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

const topic = (name: string, fields: Record<string, unknown> = {}) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...fields });

describe('CreateTopics', () => {
  it('validates every field and reports per topic', async () => {
    const res = await c.request(
      CreateTopics,
      7,
      createCreateTopicsRequest({
        timeoutMs: 1000,
        topics: [
          topic('ct-ok', { configs: [{ name: 'retention.ms', value: '1000' }, { name: 'cleanup.policy', value: 'delete' }] }),
          topic('ct-rf', { replicationFactor: 2 }),
          topic('ct bad'),
          topic('ct-parts', { numPartitions: 0 }),
          topic('ct-cfg', { configs: [{ name: 'no.such.config', value: '1' }] }),
          topic('ct-cfg2', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
          topic('ct-assign', { assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 1, brokerIds: [0] }] }),
          topic('ct-assign-bad', { assignments: [{ partitionIndex: 0, brokerIds: [1] }] }),
        ],
      }),
    );
    const byName = Object.fromEntries(res.topics.map((t) => [t.name, t]));
    expect(byName['ct-ok']).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect(byName['ct-ok']!.topicId).not.toBe('00000000-0000-0000-0000-000000000000');
    expect(byName['ct-ok']!.configs!.find((x) => x.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    expect(byName['ct-rf']!.errorCode).toBe(38);
    expect(byName['ct bad']!.errorCode).toBe(17);
    expect(byName['ct-parts']!.errorCode).toBe(37);
    expect(byName['ct-cfg']!.errorCode).toBe(40);
    expect(byName['ct-cfg2']!.errorCode).toBe(40);
    expect(byName['ct-assign']).toMatchObject({ errorCode: 0, numPartitions: 2 });
    expect(byName['ct-assign-bad']!.errorCode).toBe(39);
    for (const t of res.topics) if (t.errorCode !== 0) expect(t.errorMessage).toBeTruthy();
    const again = await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('ct-ok')] }));
    expect(again.topics[0]!.errorCode).toBe(36);
  });

  it('validateOnly creates nothing', async () => {
    const res = await c.request(CreateTopics, 4, createCreateTopicsRequest({ validateOnly: true, topics: [topic('ct-dry', { numPartitions: 3 })] }));
    expect(res.topics[0]).toMatchObject({ errorCode: 0 });
    const meta = await c.request(Metadata, 9, createMetadataRequest({ topics: [{ name: 'ct-dry', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false }));
    expect(meta.topics[0]!.errorCode).toBe(3);
  });
});

describe('DeleteTopics', () => {
  it('by name (v1) and by id (v6), unknown ones reported', async () => {
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('dt-a'), topic('dt-b')] }));
    const meta = await c.request(Metadata, 12, createMetadataRequest({ topics: [{ name: 'dt-b', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const idB = meta.topics[0]!.topicId;
    const v1 = await c.request(DeleteTopics, 1, createDeleteTopicsRequest({ topicNames: ['dt-a', 'dt-none'], timeoutMs: 1000 }));
    expect(v1.responses.map((r) => [r.name, r.errorCode])).toEqual([['dt-a', 0], ['dt-none', 3]]);
    const v6 = await c.request(DeleteTopics, 6, createDeleteTopicsRequest({ topics: [{ name: null, topicId: idB }, { name: null, topicId: '11111111-1111-1111-1111-111111111111' }], timeoutMs: 1000 }));
    expect(v6.responses.map((r) => [r.name, r.errorCode])).toEqual([['dt-b', 0], [null, 100]]);
    const all = await c.request(Metadata, 1, createMetadataRequest({ topics: null }));
    expect(all.topics.map((t) => t.name)).not.toContain('dt-b');
  });
});

describe('CreatePartitions and DeleteRecords', () => {
  it('grows only, and moves the log start offset', async () => {
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('cp', { numPartitions: 1 })] }));
    const res = await c.request(CreatePartitions, 3, createCreatePartitionsRequest({ topics: [{ name: 'cp', count: 3, assignments: null }, { name: 'cp-none', count: 2, assignments: null }], timeoutMs: 1000 }));
    expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([['cp', 0], ['cp-none', 3]]);
    const shrink = await c.request(CreatePartitions, 0, createCreatePartitionsRequest({ topics: [{ name: 'cp', count: 2, assignments: null }] }));
    expect(shrink.results[0]!.errorCode).toBe(37);
    for (let i = 0; i < 5; i++) await produceRaw(c, 'cp', 2, [`r${i}`]);
    const del = await c.request(DeleteRecords, 2, createDeleteRecordsRequest({ topics: [{ name: 'cp', partitions: [{ partitionIndex: 2, offset: 3n }, { partitionIndex: 1, offset: 10n }] }], timeoutMs: 1000 }));
    expect(del.topics[0]!.partitions).toEqual([
      { partitionIndex: 2, lowWatermark: 3n, errorCode: 0 },
      { partitionIndex: 1, lowWatermark: 0n, errorCode: 1 },
    ]);
    expect((await readAll(broker, 'cp', 2, 3n)).map((r) => r.value)).toEqual(['r3', 'r4']);
  });
});

describe('ListOffsets', () => {
  it('earliest, latest, by timestamp through the time index, max timestamp', async () => {
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('lo', { numPartitions: 1, configs: [{ name: 'index.interval.bytes', value: '1' }] })] }));
    const base = 1_700_000_000_000;
    // Timestamps 0, 10, ..., 190 s after base, one batch each; offset i has timestamp base + 10 s * i.
    for (let i = 0; i < 20; i++) await produceRaw(c, 'lo', 0, [`m${i}`], { timestamp: base + i * 10_000 });
    // One batch out of order: offset 20 carries the largest timestamp.
    await produceRaw(c, 'lo', 0, ['late'], { timestamp: base + 1_000_000 });
    await produceRaw(c, 'lo', 0, ['after'], { timestamp: base + 5 });
    const ask = async (timestamp: bigint, v = 7) => {
      const r = await c.request(ListOffsets, v, createListOffsetsRequest({ replicaId: -1, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] }));
      return r.topics[0]!.partitions[0]!;
    };
    expect((await ask(-2n)).offset).toBe(0n);
    expect((await ask(-1n)).offset).toBe(22n);
    expect(await ask(BigInt(base + 55_000))).toMatchObject({ errorCode: 0, offset: 6n, timestamp: BigInt(base + 60_000) });
    expect(await ask(BigInt(base))).toMatchObject({ offset: 0n, timestamp: BigInt(base) });
    expect(await ask(BigInt(base + 2_000_000))).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await ask(-3n)).toMatchObject({ offset: 20n, timestamp: BigInt(base + 1_000_000) });
    const unknown = await c.request(ListOffsets, 1, createListOffsetsRequest({ replicaId: -1, topics: [{ name: 'lo-none', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }));
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(3);
  });
});

describe('DescribeConfigs', () => {
  it('topic configs with sources and synonyms; broker configs; bad resources', async () => {
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('dc', { configs: [{ name: 'segment.bytes', value: '1048576' }] })] }));
    const res = await c.request(
      DescribeConfigs,
      4,
      createDescribeConfigsRequest({
        includeSynonyms: true,
        includeDocumentation: true,
        resources: [
          { resourceType: 2, resourceName: 'dc', configurationKeys: null },
          { resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions', 'log.retention.ms'] },
          { resourceType: 2, resourceName: 'dc-none', configurationKeys: null },
          { resourceType: 4, resourceName: '7', configurationKeys: null },
        ],
      }),
    );
    const [t, b, missing, otherBroker] = res.results;
    const seg = t!.configs.find((x) => x.name === 'segment.bytes')!;
    expect(seg).toMatchObject({ value: '1048576', configSource: 1, configType: 3 });
    expect(seg.synonyms.map((s) => s.name)).toEqual(['segment.bytes', 'log.segment.bytes']);
    expect(seg.documentation).toBeTruthy();
    expect(t!.configs.find((x) => x.name === 'retention.ms')).toMatchObject({ configSource: 5 });
    expect(b!.configs.map((x) => [x.name, x.value, x.configSource])).toEqual([
      ['num.partitions', '2', 4],
      // As Kafka: log.retention.ms has no default of its own; log.retention.hours=168 holds it.
      ['log.retention.ms', null, 5],
    ]);
    expect(missing!.errorCode).toBe(3);
    expect(otherBroker!.errorCode).toBe(42);
  });
});
