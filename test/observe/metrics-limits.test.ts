/**
 * /metrics under pressure: refusals are counted by the limit that refused, and topic and group series stay
 * bounded (the rest summed under "__other__") whatever clients create.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { createOffsetCommitRequest, OffsetCommit } from '../../src/protocol/messages/offset-commit.js';
import { kafkaClient, RawClient, startTestBroker, type TestBroker } from '../broker/helpers.js';
import { within } from '../until.js';
import { scrape } from './prom-text.js';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

function produce(client: RawClient, topic: string, partition: number, values: Buffer[], compression: 'none' | 'gzip' = 'none') {
  const records = encodeRecordBatch({ baseTimestamp: Date.now(), compression, records: values.map((value) => ({ key: null, value })) });
  return client.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

describe('/metrics refusals by limit', () => {
  it('counts max-connections-per-ip at accept', async () => {
    broker = await startTestBroker({ httpPort: 0, maxConnectionsPerIp: 1 });
    const first = await RawClient.connect(broker);
    const second = net.connect(broker.port, broker.host);
    second.on('error', () => {});
    await within(new Promise((resolve) => second.on('close', resolve)), 'the second connection from one address to be refused');
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-connections-per-ip' })).toBe(1);
    expect(s.value('kafkaesque_connections_open', { listener: 'PLAINTEXT' })).toBe(1);
    expect(s.value('kafkaesque_connections_total', { listener: 'PLAINTEXT' })).toBe(1);
    first.close();
  });

  it('counts max-request-size, max-message-bytes, max-inflated-batch-bytes, max-partitions-per-request and max-partitions', async () => {
    broker = await startTestBroker({ httpPort: 0, maxRequestSize: 64 * 1024, maxMessageBytes: 4096, maxInflatedBatchBytes: 8192, maxPartitions: 4, maxPartitionsPerRequest: 3 });
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'lim', numPartitions: 1 }] });
    // max-partitions-per-request: 4 partitions in one request; then max-partitions: 1 + 3 + 1 > 4.
    await expect(admin.createTopics({ topics: [{ topic: 'too-many', numPartitions: 4 }] })).rejects.toThrow();
    await admin.createTopics({ topics: [{ topic: 'three', numPartitions: 3 }] });
    await expect(admin.createTopics({ topics: [{ topic: 'one-more', numPartitions: 1 }] })).rejects.toThrow();
    await admin.disconnect();

    const raw = await RawClient.connect(broker);
    const tooBig = await produce(raw, 'lim', 0, [Buffer.alloc(6000, 1)]);
    expect(tooBig.responses[0]!.partitionResponses[0]!.errorCode).toBe(10); // MESSAGE_TOO_LARGE
    // Compresses to a few hundred bytes, inflates past the 8 KiB cap.
    const bomb = await produce(raw, 'lim', 0, [Buffer.alloc(64 * 1024)], 'gzip');
    expect(bomb.responses[0]!.partitionResponses[0]!.errorCode).not.toBe(0);
    // A frame announcing more than --max-request-size closes the connection.
    const size = Buffer.alloc(4);
    size.writeInt32BE(1024 * 1024);
    raw.write(size);
    await within(raw.closedPromise, 'the broker to close a connection announcing a frame above --max-request-size');

    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-partitions-per-request' })).toBe(1);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-partitions' })).toBe(1);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-message-bytes' })).toBe(1);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-inflated-batch-bytes' })).toBe(1);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-request-size' })).toBe(1);
    expect(s.value('kafkaesque_request_errors_total', { api: 'Produce', error: 'MESSAGE_TOO_LARGE' })).toBe(1);
    expect(s.value('kafkaesque_request_errors_total', { api: 'CreateTopics', error: 'POLICY_VIOLATION' })).toBe(2);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'partial-frame-timeout-ms' })).toBe(0);
  });

  it('counts partial-frame-timeout-ms when a request frame stays incomplete', async () => {
    broker = await startTestBroker({ httpPort: 0, partialFrameTimeoutMs: 50 });
    const raw = await RawClient.connect(broker);
    const head = Buffer.alloc(6);
    head.writeInt32BE(100); // announces 100 bytes, sends 2
    raw.write(head);
    await within(raw.closedPromise, 'the broker to close a connection whose frame stays incomplete');
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'partial-frame-timeout-ms' })).toBe(1);
  });

  it('counts the HTTP endpoint\'s own refusals (oversized headers)', async () => {
    broker = await startTestBroker({ httpPort: 0 });
    const res = await fetch(`http://${broker.http!.host}:${broker.http!.port}/metrics`, { headers: { 'x-big': 'a'.repeat(32 * 1024) } });
    expect(res.status).toBe(431);
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'http-max-header-size' })).toBe(1);
  });
});

describe('/metrics series bounds', () => {
  it('keeps the first --metrics-max-topic-series topic-partitions and sums the rest under __other__', async () => {
    broker = await startTestBroker({ httpPort: 0, metricsMaxTopicSeries: 2 });
    const raw = await RawClient.connect(broker);
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    const topics = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const [i, t] of topics.entries()) {
      await admin.createTopics({ topics: [{ topic: t, numPartitions: 1 }] });
      const res = await produce(raw, t, 0, Array.from({ length: i + 1 }, () => Buffer.from('v')));
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    let s = await scrape(broker.http!);
    const labels = s.samples('kafkaesque_partition_records_in_total').map((m) => m.labels!.topic);
    expect(labels.sort()).toEqual(['__other__', 'b1', 'b2']);
    expect(s.value('kafkaesque_partition_records_in_total', { topic: '__other__' })).toBe(3 + 4 + 5);
    expect(s.value('kafkaesque_partition_high_watermark', { topic: '__other__' })).toBe(3 + 4 + 5);
    expect(s.sum('kafkaesque_partition_records_in_total')).toBe(15);
    expect(s.value('kafkaesque_series_aggregated', { label: 'topic' })).toBe(3);
    // Every metric of the family uses the same bound.
    expect(s.samples('kafkaesque_partition_log_size_bytes')).toHaveLength(3);

    // A deleted topic frees its place: the next one seen keeps its own series, and it stays.
    await admin.deleteTopics({ topics: ['b1'] });
    await admin.disconnect();
    raw.close();
    s = await scrape(broker.http!);
    const after = s.samples('kafkaesque_partition_records_in_total').map((m) => m.labels!.topic);
    expect(after).toHaveLength(3);
    expect(after).toContain('b2');
    expect(after).toContain('__other__');
    const kept = after.find((t) => t !== 'b2' && t !== '__other__')!;
    s = await scrape(broker.http!);
    expect(s.samples('kafkaesque_partition_records_in_total', { topic: kept })).toHaveLength(1);
  });

  it('keeps the first --metrics-max-group-series groups and sums the rest under __other__', async () => {
    broker = await startTestBroker({ httpPort: 0, metricsMaxGroupSeries: 1 });
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'g', numPartitions: 1 }] });
    await admin.disconnect();
    const raw = await RawClient.connect(broker);
    await produce(raw, 'g', 0, Array.from({ length: 10 }, () => Buffer.from('v')));
    // Commits outside any generation (as admin tools do), one group after another.
    for (const [i, groupId] of ['ga', 'gb', 'gc'].entries()) {
      const res = await raw.request(
        OffsetCommit,
        8,
        createOffsetCommitRequest({ groupId, topics: [{ name: 'g', partitions: [{ partitionIndex: 0, committedOffset: BigInt(i + 1), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }),
      );
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    }
    raw.close();
    const s = await scrape(broker.http!);
    expect(s.samples('kafkaesque_group_state').map((m) => m.labels!.group).sort()).toEqual(['__other__', 'ga']);
    expect(s.value('kafkaesque_group_state', { group: '__other__', state: 'Empty' })).toBe(2);
    expect(s.value('kafkaesque_group_committed_offset', { group: 'ga', topic: 'g', partition: 0 })).toBe(1);
    expect(s.value('kafkaesque_group_lag', { group: 'ga' })).toBe(9);
    expect(s.value('kafkaesque_group_lag', { group: '__other__' })).toBe(8 + 7);
    expect(s.value('kafkaesque_series_aggregated', { label: 'group' })).toBe(2);
  });
});

describe('/metrics storage errors', () => {
  it('counts KAFKA_STORAGE_ERROR answers by API when the log cannot be written', async () => {
    broker = await startTestBroker({ httpPort: 0, segmentBytes: 1024 });
    const raw = await RawClient.connect(broker);
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'disk', numPartitions: 1 }] });
    await admin.disconnect();
    const first = await produce(raw, 'disk', 0, [Buffer.alloc(600, 1)]);
    expect(first.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    // The partition's directory vanishes under the broker: the next segment cannot be created.
    const partitionDir = fs.readdirSync(broker.dataDir).find((d) => d.startsWith('disk-'))!;
    fs.rmSync(path.join(broker.dataDir, partitionDir), { recursive: true, force: true });
    const second = await produce(raw, 'disk', 0, [Buffer.alloc(600, 2)]);
    raw.close();
    expect(second.responses[0]!.partitionResponses[0]!.errorCode).toBe(56);
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_storage_errors_total', { source: 'Produce' })).toBe(1);
    expect(s.value('kafkaesque_request_errors_total', { api: 'Produce', error: 'KAFKA_STORAGE_ERROR' })).toBe(1);
    fs.mkdirSync(path.join(broker.dataDir, partitionDir)); // so the broker can close its logs
  });
});
