/**
 * The config model (issue 16): every Kafka 3.9 topic config accepted, checked, stored and described as
 * Kafka describes it; AlterConfigs and IncrementalAlterConfigs on topics and the broker's dynamic log
 * settings, persisted and in effect without a restart. Real clients (kafkajs, @platformatic/kafka) and raw
 * requests for the edge cases.
 */
import { Admin } from '@platformatic/kafka';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlterConfigs, createAlterConfigsRequest } from '../../../src/protocol/messages/alter-configs.js';
import { createCreateTopicsRequest, CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { createDescribeConfigsRequest, DescribeConfigs, type DescribeConfigsResponse } from '../../../src/protocol/messages/describe-configs.js';
import { createIncrementalAlterConfigsRequest, IncrementalAlterConfigs } from '../../../src/protocol/messages/incremental-alter-configs.js';
import { TOPIC_CONFIG_DEFS } from '../../../src/broker/topic-config-defs.js';
import fs from 'node:fs';
import path from 'node:path';
import { kafkaClient, produceRaw, RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';

const LONG_MAX = '9223372036854775807';
/** The 15 topic configs issue 16 found missing, with a valid non-default value each. */
const MISSING: Record<string, string> = {
  'compression.type': 'lz4',
  'delete.retention.ms': '3600000',
  'file.delete.delay.ms': '1000',
  'flush.messages': '100',
  'min.compaction.lag.ms': '1000',
  'max.compaction.lag.ms': '86400000',
  'min.cleanable.dirty.ratio': '0.25',
  'message.timestamp.difference.max.ms': '3600000',
  preallocate: 'true',
  'segment.jitter.ms': '10',
  'unclean.leader.election.enable': 'true',
  'message.downconversion.enable': 'false',
  'local.retention.ms': '-2',
  'message.timestamp.before.max.ms': '60000',
  'message.timestamp.after.max.ms': '60000',
};

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ numPartitions: 1 });
  c = await RawClient.connect(broker);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

const topic = (name: string, configs: { name: string; value: string | null }[] = []) => ({ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs });

async function describeTopic(name: string, keys: string[] | null = null, version = 4): Promise<DescribeConfigsResponse['results'][number]> {
  const res = await c.request(DescribeConfigs, version, createDescribeConfigsRequest({ includeSynonyms: true, includeDocumentation: true, resources: [{ resourceType: 2, resourceName: name, configurationKeys: keys }] }));
  return res.results[0]!;
}

describe('topic configs: kafkajs', () => {
  it('creates a topic with every config Kafka has, describes them, alters them', async () => {
    const admin = kafkaClient(broker, 'cfg-admin').admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic: 'kj-all', numPartitions: 1, configEntries: Object.entries(MISSING).map(([name, value]) => ({ name, value })) }] });
      expect(created).toBe(true);
      const d = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-all' }] });
      const entries = d.resources[0]!.configEntries;
      expect(entries.map((e) => e.configName)).toEqual(TOPIC_CONFIG_DEFS.map((x) => x.name));
      for (const [name, value] of Object.entries(MISSING)) {
        const e = entries.find((x) => x.configName === name)!;
        expect(e, name).toMatchObject({ configValue: value, readOnly: false, isDefault: false, configSource: 1 });
      }
      expect(entries.find((x) => x.configName === 'flush.ms')).toMatchObject({ configValue: LONG_MAX, readOnly: false, configSource: 5 });

      // AlterConfigs replaces the whole set: retention.ms set, everything else back to its default.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-all', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      const after = (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-all', configNames: ['retention.ms', 'compression.type'] }] })).resources[0]!.configEntries;
      expect(after.map((e) => [e.configName, e.configValue, e.configSource])).toEqual([
        ['retention.ms', '3600000', 1],
        ['compression.type', 'producer', 5],
      ]);
      await expect(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'kj-all', configEntries: [{ name: 'segment.bytes', value: '13' }] }] }),
      ).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('topic configs: @platformatic/kafka incremental changes', () => {
  it('SET, APPEND, SUBTRACT, DELETE and validateOnly', async () => {
    const admin = new Admin({ clientId: 'cfg-plt', bootstrapBrokers: [broker.address] });
    try {
      await admin.createTopics({ topics: ['plt-cfg'], partitions: 1, replicas: 1 });
      const inc = (configs: Parameters<typeof admin.incrementalAlterConfigs>[0]['resources'][number]['configs'], validateOnly = false) =>
        admin.incrementalAlterConfigs({ validateOnly, resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'plt-cfg', configs }] });
      await inc([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }]);
      expect((await describeTopic('plt-cfg', ['cleanup.policy'])).configs[0]!.value).toBe('delete,compact');
      await inc([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }]);
      expect((await describeTopic('plt-cfg', ['cleanup.policy'])).configs[0]!.value).toBe('compact');
      await inc([{ name: 'max.message.bytes', configOperation: 0, value: '2000' }], true);
      expect((await describeTopic('plt-cfg', ['max.message.bytes'])).configs[0]).toMatchObject({ value: '1048588', configSource: 5 });
      await inc([{ name: 'max.message.bytes', configOperation: 0, value: '2000' }]);
      expect((await describeTopic('plt-cfg', ['max.message.bytes'])).configs[0]).toMatchObject({ value: '2000', configSource: 1 });
      await inc([{ name: 'max.message.bytes', configOperation: 1 }]);
      expect((await describeTopic('plt-cfg', ['max.message.bytes'])).configs[0]).toMatchObject({ value: '1048588', configSource: 5 });
      await expect(inc([{ name: 'retention.ms', configOperation: 2, value: '5' }])).rejects.toThrow();
    } finally {
      await admin.close();
    }
  });
});

describe('DescribeConfigs field for field', () => {
  it('defaults, sources, synonyms, documentation and the requested order', async () => {
    await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('dc-f', [{ name: 'retention.ms', value: ' 1000 ' }, { name: 'cleanup.policy', value: 'compact, delete' }])] }));
    const r = await describeTopic('dc-f', ['flush.ms', 'retention.ms', 'cleanup.policy', 'no.such', 'segment.ms', 'min.cleanable.dirty.ratio']);
    expect(r.errorCode).toBe(0);
    expect(r.configs.map((x) => x.name)).toEqual(['flush.ms', 'retention.ms', 'cleanup.policy', 'segment.ms', 'min.cleanable.dirty.ratio']);
    const [flush, retention, policy, segmentMs, ratio] = r.configs;
    expect(flush).toMatchObject({ value: LONG_MAX, readOnly: false, configSource: 5, configType: 5, isSensitive: false });
    expect(flush!.synonyms).toEqual([{ name: 'log.flush.scheduler.interval.ms', value: LONG_MAX, source: 5 }]);
    expect(retention).toMatchObject({ value: '1000', configSource: 1, isDefault: false, configType: 5 });
    expect(retention!.synonyms).toEqual([
      { name: 'retention.ms', value: '1000', source: 1 },
      { name: 'log.retention.hours', value: '168', source: 5 },
    ]);
    expect(policy).toMatchObject({ value: 'compact,delete', configType: 7 });
    expect(segmentMs).toMatchObject({ value: '604800000', configSource: 5 });
    expect(segmentMs!.synonyms).toEqual([{ name: 'log.roll.hours', value: '168', source: 5 }]);
    expect(ratio).toMatchObject({ value: '0.5', configType: 6 });
    for (const x of r.configs) expect(x.documentation!.length).toBeGreaterThan(10);
    // Without includeSynonyms / includeDocumentation: none.
    const plain = await c.request(DescribeConfigs, 4, createDescribeConfigsRequest({ resources: [{ resourceType: 2, resourceName: 'dc-f', configurationKeys: ['retention.ms'] }] }));
    expect(plain.results[0]!.configs[0]).toMatchObject({ synonyms: [], documentation: null });
    // v0: isDefault is what old clients read.
    const v0 = await describeTopic('dc-f', ['retention.ms', 'segment.ms'], 0);
    expect(v0.configs.map((x) => x.isDefault)).toEqual([false, true]);
  });
});

describe('a damaged broker-configs.json', () => {
  it('the broker starts on its command-line settings', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'broker-configs.json'), '{ "broker": ');
    const b = await startTestBroker({ dataDir: dir });
    const raw = await RawClient.connect(b);
    try {
      await raw.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('dmg')] }));
      const d = await raw.request(DescribeConfigs, 4, createDescribeConfigsRequest({ resources: [{ resourceType: 2, resourceName: 'dmg', configurationKeys: ['retention.ms'] }] }));
      expect(d.results[0]!.configs[0]).toMatchObject({ value: '604800000', configSource: 5 });
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('broker flags appear as STATIC_BROKER_CONFIG', () => {
  it('--retention-ms and --fsync interval show up as the synonyms Kafka names', async () => {
    const b = await startTestBroker({ retentionMs: 3_600_000, fsync: 'interval', flushIntervalMs: 500 });
    const raw = await RawClient.connect(b);
    try {
      await raw.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('st')] }));
      const d = await raw.request(DescribeConfigs, 4, createDescribeConfigsRequest({ includeSynonyms: true, resources: [{ resourceType: 2, resourceName: 'st', configurationKeys: ['retention.ms', 'flush.ms'] }] }));
      const [retention, flush] = d.results[0]!.configs;
      expect(retention).toMatchObject({ value: '3600000', configSource: 4 });
      expect(retention!.synonyms).toEqual([
        { name: 'log.retention.ms', value: '3600000', source: 4 },
        { name: 'log.retention.hours', value: '168', source: 5 },
      ]);
      expect(flush).toMatchObject({ value: '500', configSource: 4 });
      expect(flush!.synonyms).toEqual([
        { name: 'log.flush.interval.ms', value: '500', source: 4 },
        { name: 'log.flush.scheduler.interval.ms', value: LONG_MAX, source: 5 },
      ]);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('CreateTopics and AlterConfigs refuse what Kafka refuses', () => {
  it('type and range checks, per topic / per resource', async () => {
    const bad: [string, string][] = [
      ['segment.bytes', '13'],
      ['min.cleanable.dirty.ratio', '1.5'],
      ['compression.type', 'none'],
      ['cleanup.policy', 'compact,shred'],
      ['preallocate', 'yes'],
      ['retention.ms', '-2'],
      ['max.message.bytes', '2147483648'],
      ['compression.zstd.level', '23'],
      ['compression.gzip.level', '0'],
      ['remote.storage.enable', 'true'],
      ['message.timestamp.type', 'Now'],
      ['no.such.config', '1'],
    ];
    const res = await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: bad.map(([name, value], i) => topic(`bad-${i}`, [{ name, value }])) }));
    for (const [i, t] of res.topics.entries()) {
      expect(t.errorCode, bad[i]!.join('=')).toBe(40);
      expect(t.errorMessage).toContain(bad[i]![0]);
    }
    const good = await c.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('good-1', [{ name: 'compression.gzip.level', value: '-1' }, { name: 'max.compaction.lag.ms', value: LONG_MAX }, { name: 'flush.ms', value: LONG_MAX }, { name: 'segment.ms', value: LONG_MAX }])] }));
    expect(good.topics[0]!.errorCode).toBe(0);

    const alter = await c.request(
      IncrementalAlterConfigs,
      1,
      createIncrementalAlterConfigsRequest({
        resources: [
          { resourceType: 2, resourceName: 'good-1', configs: [{ name: 'retention.ms', configOperation: 0, value: '5000' }] },
          { resourceType: 2, resourceName: 'nope', configs: [{ name: 'retention.ms', configOperation: 0, value: '5000' }] },
          { resourceType: 2, resourceName: 'good-1x', configs: [] },
          { resourceType: 2, resourceName: 'good-1x', configs: [] },
          { resourceType: 2, resourceName: 'plt-cfg', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }, { name: 'retention.ms', configOperation: 1, value: null }] },
          { resourceType: 2, resourceName: 'dc-f', configs: [{ name: 'cleanup.policy', configOperation: 0, value: null }] },
          { resourceType: 2, resourceName: 'kj-all', configs: [{ name: 'preallocate', configOperation: 9, value: 'true' }] },
          { resourceType: 7, resourceName: 'x', configs: [] },
          { resourceType: 4, resourceName: '3', configs: [] },
        ],
      }),
    );
    expect(alter.responses.map((r) => r.errorCode)).toEqual([0, 3, 42, 42, 42, 42, 42, 42, 42]);
    expect((await describeTopic('good-1', ['retention.ms'])).configs[0]!.value).toBe('5000');
    const a2 = await c.request(AlterConfigs, 2, createAlterConfigsRequest({ resources: [{ resourceType: 2, resourceName: 'good-1', configs: [{ name: 'retention.ms', value: 'soon' }] }] }));
    expect(a2.responses[0]).toMatchObject({ errorCode: 40 });
    expect((await describeTopic('good-1', ['retention.ms'])).configs[0]!.value).toBe('5000');
  });
});

describe('changes take effect at once and persist', () => {
  it('max.message.bytes on a topic, and log.retention.ms / log.cleanup.policy as dynamic broker configs, across a restart', async () => {
    let b = await startTestBroker({ numPartitions: 1 });
    let raw = await RawClient.connect(b);
    try {
      await raw.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [topic('eff')] }));
      const big = ['x'.repeat(3000)];
      expect((await produceRaw(raw, 'eff', 0, big)).errorCode).toBe(0);
      const set = await raw.request(IncrementalAlterConfigs, 0, createIncrementalAlterConfigsRequest({ resources: [{ resourceType: 2, resourceName: 'eff', configs: [{ name: 'max.message.bytes', configOperation: 0, value: '2000' }] }] }));
      expect(set.responses[0]!.errorCode).toBe(0);
      expect((await produceRaw(raw, 'eff', 0, big)).errorCode).toBe(10); // MESSAGE_TOO_LARGE, no restart

      // Cluster-wide default: topics without their own value follow it.
      const dyn = await raw.request(
        IncrementalAlterConfigs,
        1,
        createIncrementalAlterConfigsRequest({
          resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '7200000' }, { name: 'log.cleanup.policy', configOperation: 2, value: 'compact' }] }],
        }),
      );
      expect(dyn.responses[0]).toMatchObject({ errorCode: 0 });
      const bad = await raw.request(IncrementalAlterConfigs, 1, createIncrementalAlterConfigsRequest({ resources: [{ resourceType: 4, resourceName: '0', configs: [{ name: 'broker.id', configOperation: 0, value: '3' }] }] }));
      expect(bad.responses[0]!.errorCode).toBe(40);
      const check = async (): Promise<void> => {
        const d = await raw.request(DescribeConfigs, 4, createDescribeConfigsRequest({ includeSynonyms: true, resources: [{ resourceType: 2, resourceName: 'eff', configurationKeys: ['retention.ms', 'max.message.bytes', 'cleanup.policy'] }] }));
        const [ret, max, policy] = d.results[0]!.configs;
        expect(ret).toMatchObject({ value: '7200000', configSource: 3 });
        expect(ret!.synonyms[0]).toEqual({ name: 'log.retention.ms', value: '7200000', source: 3 });
        expect(max).toMatchObject({ value: '2000', configSource: 1 });
        expect(policy).toMatchObject({ value: 'delete,compact', configSource: 3 });
        expect(b.context.logs.partition('eff', 0)!.config.retentionMs).toBe(7_200_000);
      };
      await check();
      raw.close();
      await b.close();
      b = await startTestBroker({ numPartitions: 1, dataDir: b.dataDir });
      raw = await RawClient.connect(b);
      await check();
      expect((await produceRaw(raw, 'eff', 0, big)).errorCode).toBe(10);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});
