/**
 * Client quotas (issue 16): AlterClientQuotas / DescribeClientQuotas with @platformatic/kafka's admin and raw
 * requests, persistence across a restart, and enforcement: a producer or consumer over its byte rate gets
 * its answer late, with throttle_time_ms, while other clients are not slowed. Short quota windows keep the
 * test fast; the arithmetic is Kafka's (see src/broker/quotas/throttle.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { AlterClientQuotas } from '../../../src/protocol/messages/alter-client-quotas.js';
import { DescribeClientQuotas } from '../../../src/protocol/messages/describe-client-quotas.js';
import { createCreateTopicsRequest, CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { createMetadataRequest, Metadata } from '../../../src/protocol/messages/metadata.js';
import { Fetch } from '../../../src/protocol/messages/fetch.js';
import { Produce } from '../../../src/protocol/messages/produce.js';
import { encodeRecordBatch } from '../../../src/protocol/records.js';
import { RateSensor } from '../../../src/broker/quotas/throttle.js';
import { fetchRequest, kafkaClient, RawClient, startTestBroker, type TestBroker } from '../helpers.js';

const WINDOW = { quotaWindowNum: 3, quotaWindowSizeMs: 200 };
let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ numPartitions: 1, ...WINDOW });
  c = await RawClient.connect(broker);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

const entity = (user: string | null | undefined, clientId: string | null | undefined) => [
  ...(user !== undefined ? [{ entityType: 'user', entityName: user }] : []),
  ...(clientId !== undefined ? [{ entityType: 'client-id', entityName: clientId }] : []),
];

describe('AlterClientQuotas / DescribeClientQuotas', () => {
  it('sets, describes, filters and removes quotas; refuses what Kafka refuses', async () => {
    const admin = new Admin({ clientId: 'q-admin', bootstrapBrokers: [broker.address] });
    try {
      await admin.alterClientQuotas({
        entries: [
          { entities: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 50, remove: false }] },
          { entities: [{ entityType: 'client-id', entityName: null }], ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] },
          { entities: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], ops: [{ key: 'producer_byte_rate', value: 4096, remove: false }] },
        ],
      });
      const alice = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'alice' }], strict: true });
      expect(alice).toEqual([{ entity: [{ entityType: 'user', entityName: 'alice' }], values: expect.arrayContaining([{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 50 }]) }]);
      const loose = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'alice' }] });
      expect(loose).toHaveLength(2);
      const defaults = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 1 }] });
      expect(defaults).toEqual([{ entity: [{ entityType: 'client-id', entityName: null }], values: [{ key: 'consumer_byte_rate', value: 2048 }] }]);
      const named = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 2 }] });
      expect(named.map((e) => e.entity)).toEqual([entity('alice', 'app')]);
      await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'request_percentage', remove: true }] }] });
      expect((await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'alice' }], strict: true }))[0]!.values).toEqual([{ key: 'producer_byte_rate', value: 1024 }]);
    } finally {
      await admin.close();
    }

    const bad = await c.request(AlterClientQuotas, 1, {
      validateOnly: false,
      entries: [
        { entity: entity('bob', undefined), ops: [{ key: 'producer_byte_rate', value: 1.5, remove: false }] },
        { entity: entity('bob', undefined), ops: [{ key: 'producer_byte_rate', value: 100, remove: false }] },
        { entity: entity('carol', undefined), ops: [{ key: 'bytes_per_fortnight', value: 1, remove: false }] },
        { entity: [{ entityType: 'ip', entityName: '1.2.3.4' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] },
        { entity: entity('dave', undefined), ops: [{ key: 'consumer_byte_rate', value: -5, remove: false }] },
        { entity: entity('erin', undefined), ops: [{ key: 'consumer_byte_rate', value: 5, remove: false }, { key: 'consumer_byte_rate', value: 6, remove: false }] },
        { entity: entity('frank', undefined), ops: [{ key: 'consumer_byte_rate', value: 5, remove: false }] },
      ],
    });
    expect(bad.entries.map((e) => e.errorCode)).toEqual([42, 42, 42, 42, 42, 42, 0]);
    for (const e of bad.entries.slice(0, 6)) expect(e.errorMessage).toBeTruthy();
    const validate = await c.request(AlterClientQuotas, 0, { validateOnly: true, entries: [{ entity: entity('gina', undefined), ops: [{ key: 'consumer_byte_rate', value: 5, remove: false }] }] });
    expect(validate.entries[0]!.errorCode).toBe(0);
    const d = await c.request(DescribeClientQuotas, 1, { components: [{ entityType: 'user', matchType: 2, match: null }], strict: false });
    expect(d.entries!.map((e) => e.entity[0]!.entityName).sort()).toEqual(['alice', 'alice', 'frank']);
    const badFilter = await c.request(DescribeClientQuotas, 1, { components: [{ entityType: 'user', matchType: 7, match: null }], strict: false });
    expect(badFilter.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // Clean up so the enforcement tests below start from known quotas.
    await c.request(AlterClientQuotas, 1, {
      validateOnly: false,
      entries: [entity('alice', undefined), entity(undefined, null), entity('alice', 'app'), entity('frank', undefined)].map((e) => ({ entity: e, ops: ['producer_byte_rate', 'consumer_byte_rate'].map((key) => ({ key, value: 0, remove: true })) })),
    });
    expect((await c.request(DescribeClientQuotas, 1, { components: [], strict: false })).entries).toEqual([]);
  });
});

describe('enforcement', () => {
  it('a producer over producer_byte_rate is answered late with throttle_time_ms; another client is not', async () => {
    await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, 'slow'), ops: [{ key: 'producer_byte_rate', value: 10_000, remove: false }] }] });
    const slow = await RawClient.connect(broker, 'slow');
    const fast = await RawClient.connect(broker, 'fast');
    try {
      const produce = (client: RawClient) =>
        client.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'q-produce', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(20_000, 7) }] }) }] }] });
      await fast.request(CreateTopics, 7, createCreateTopicsRequest({ topics: [{ name: 'q-produce', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }] }));
      const t0 = Date.now();
      const res = await produce(slow);
      const took = Date.now() - t0;
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      // 20 kB over at least (3-1) x 200 ms is 50 kB/s, 5x the quota: Kafka's formula asks for 1,600 ms, capped at 3 x 200.
      expect(res.throttleTimeMs).toBe(600);
      expect(took).toBeGreaterThanOrEqual(590);
      const other = await produce(fast);
      expect(other.throttleTimeMs).toBe(0);
    } finally {
      slow.close();
      fast.close();
    }
  });

  it('kafkajs: a producer with a quota is slowed to about its rate', async () => {
    await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, 'kj-slow'), ops: [{ key: 'producer_byte_rate', value: 50_000, remove: false }] }] });
    const producer = kafkaClient(broker, 'kj-slow').producer();
    await producer.connect();
    try {
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) await producer.send({ topic: 'q-kj', messages: [{ value: Buffer.alloc(10_000, i) }] });
      // 100 kB at 50 kB/s: well over a second, where an unthrottled client takes a few ms per send.
      expect(Date.now() - t0).toBeGreaterThan(900);
    } finally {
      await producer.disconnect();
    }
  });

  it('a consumer over consumer_byte_rate gets an empty answer after the throttle time, then its data', async () => {
    await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, null), ops: [{ key: 'consumer_byte_rate', value: 10_000, remove: false }] }] });
    const consumer = await RawClient.connect(broker, 'reader');
    try {
      const first = await consumer.request(Fetch, 11, fetchRequest('q-produce', 0, 0n));
      expect(first.throttleTimeMs).toBeGreaterThan(0);
      expect(first.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
      const second = await consumer.request(Fetch, 11, fetchRequest('q-produce', 0, 0n));
      expect(second.responses[0]!.partitions[0]!.errorCode).toBe(0);
    } finally {
      consumer.close();
      await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, null), ops: [{ key: 'consumer_byte_rate', value: 0, remove: true }] }] });
    }
  });

  it('request_percentage: a client whose requests take more than its share of the event loop is throttled', async () => {
    await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, 'busy'), ops: [{ key: 'request_percentage', value: 0.001, remove: false }] }] });
    const busy = await RawClient.connect(broker, 'busy');
    const idle = await RawClient.connect(broker, 'idle');
    try {
      let throttled = 0;
      for (let i = 0; i < 500 && throttled === 0; i++) throttled = (await busy.request(Metadata, 12, createMetadataRequest({ topics: null }))).throttleTimeMs;
      expect(throttled).toBeGreaterThan(0);
      expect((await idle.request(Metadata, 12, createMetadataRequest({ topics: null }))).throttleTimeMs).toBe(0);
      // ApiVersions is never throttled: a client can always connect.
      expect((await busy.request(ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).throttleTimeMs).toBe(0);
    } finally {
      busy.close();
      idle.close();
      await c.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity(undefined, 'busy'), ops: [{ key: 'request_percentage', value: 0, remove: true }] }] });
    }
  });

  it('quotas persist across a restart', async () => {
    const b = await startTestBroker({ numPartitions: 1, ...WINDOW });
    let raw = await RawClient.connect(b);
    try {
      await raw.request(AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: entity('u', 'x'), ops: [{ key: 'producer_byte_rate', value: 123, remove: false }] }] });
      raw.close();
      await b.close();
      const again = await startTestBroker({ numPartitions: 1, dataDir: b.dataDir, ...WINDOW });
      Object.assign(b, { stop: again.stop });
      raw = await RawClient.connect(again);
      const d = await raw.request(DescribeClientQuotas, 1, { components: [], strict: false });
      expect(d.entries).toEqual([{ entity: entity('u', 'x'), values: [{ key: 'producer_byte_rate', value: 123 }] }]);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('--max-quota-entities', () => {
  it('refuses new entities past the limit with POLICY_VIOLATION; existing ones can still change', async () => {
    const b = await startTestBroker({ maxQuotaEntities: 2 });
    const raw = await RawClient.connect(b);
    const set = (user: string, value: number) => ({ entity: entity(user, undefined), ops: [{ key: 'producer_byte_rate', value, remove: false }] });
    try {
      const res = await raw.request(AlterClientQuotas, 1, { validateOnly: false, entries: [set('a', 1), set('b', 1), set('c', 1)] });
      expect(res.entries.map((e) => e.errorCode)).toEqual([0, 0, ErrorCode.POLICY_VIOLATION]);
      expect(res.entries[2]!.errorMessage).toMatch(/max-quota-entities/);
      const again = await raw.request(AlterClientQuotas, 1, { validateOnly: false, entries: [set('a', 5), set('d', 1)] });
      expect(again.entries.map((e) => e.errorCode)).toEqual([0, ErrorCode.POLICY_VIOLATION]);
      expect((await raw.request(DescribeClientQuotas, 1, { components: [], strict: false })).entries).toHaveLength(2);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('a damaged quotas file', () => {
  it('the broker starts with no quotas instead of failing', async () => {
    const dir = (await import('../helpers.js')).tempDir();
    fs.writeFileSync(path.join(dir, 'client-quotas.json'), '{ not json');
    const b = await startTestBroker({ dataDir: dir });
    const raw = await RawClient.connect(b);
    try {
      expect((await raw.request(DescribeClientQuotas, 1, { components: [], strict: false })).entries).toEqual([]);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('RateSensor', () => {
  it('measures over at least num-1 whole samples and forgets old ones', () => {
    const s = new RateSensor(11, 1000);
    s.record(10_000, 0);
    expect(s.rate(0)).toBe(1000); // 10 kB over the 10 s minimum window
    s.record(10_000, 20_000);
    expect(s.rate(20_000)).toBe(1000); // the first sample has expired
    expect(s.idleSince(40_000)).toBe(true);
  });
});
