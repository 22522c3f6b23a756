/**
 * /metrics against real clients: raw Produce batches (exact bytes and record counts), a kafkajs consumer
 * group, kcat; the text parsed by a Prometheus text-format parser. Values must match what was produced and
 * consumed: bytes and records in and out, offsets, committed offsets and lag, group state and members.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { inProcessLink } from '../../src/broker/index.js';
import { ApiVersions, createApiVersionsRequest } from '../../src/protocol/messages/api-versions.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { hasKcat, kafkaClient, RawClient, startTestBroker, type TestBroker } from '../broker/helpers.js';
import { until } from '../until.js';
import { scrape } from './prom-text.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ httpPort: 0 });
});
afterAll(async () => {
  await broker?.stop();
});

/** Produces `values` as one batch; returns the batch's size in bytes. */
async function produceBatch(client: RawClient, topic: string, partition: number, values: string[]): Promise<number> {
  const records = encodeRecordBatch({ baseTimestamp: Date.now(), compression: 'none', records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const res = await client.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  return records.length;
}

describe('/metrics', () => {
  it('serves default process metrics, the recovery time, and every broker metric family', async () => {
    const s = await scrape(broker.http!);
    expect(s.family('process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(s.family('nodejs_heap_size_used_bytes').type).toBe('GAUGE');
    const recovery = s.samples('kafkaesque_log_recovery_seconds');
    expect(recovery).toHaveLength(1);
    expect(recovery[0]!.labels).toEqual({ recovered: 'false' });
    expect(Number(recovery[0]!.value)).toBeGreaterThanOrEqual(0);
    for (const name of [
      'kafkaesque_requests_total',
      'kafkaesque_request_errors_total',
      'kafkaesque_request_duration_seconds',
      'kafkaesque_connections_open',
      'kafkaesque_connections_total',
      'kafkaesque_partition_bytes_in_total',
      'kafkaesque_partition_records_in_total',
      'kafkaesque_partition_bytes_out_total',
      'kafkaesque_partition_records_out_total',
      'kafkaesque_partition_log_size_bytes',
      'kafkaesque_partition_log_start_offset',
      'kafkaesque_partition_high_watermark',
      'kafkaesque_fetch_parked',
      'kafkaesque_group_committed_offset',
      'kafkaesque_group_lag',
      'kafkaesque_group_state',
      'kafkaesque_group_members',
      'kafkaesque_limit_refusals_total',
      'kafkaesque_storage_errors_total',
    ]) {
      expect(() => s.family(name), name).not.toThrow();
    }
    expect(s.value('kafkaesque_connections_open', { listener: 'PLAINTEXT' })).toBe(0);
    expect(s.value('kafkaesque_limit_refusals_total', { limit: 'max-connections-per-ip' })).toBe(0);
    expect(s.value('kafkaesque_storage_errors_total', { source: 'retention' })).toBe(0);
  });

  it('counts bytes and records in and out, offsets, committed offsets, lag and group state from real clients', async () => {
    const topic = 'observed';
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

    const raw = await RawClient.connect(broker);
    let bytes0 = 0;
    for (let b = 0; b < 3; b++) bytes0 += await produceBatch(raw, topic, 0, Array.from({ length: 10 }, (_, i) => `p0-${b}-${i}`));
    const bytes1 = await produceBatch(raw, topic, 1, Array.from({ length: 20 }, (_, i) => `p1-${i}`));
    // An error the broker answers (a partition that does not exist): counted by API and code.
    const bad = await raw.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 7, records: encodeRecordBatch({ baseTimestamp: 0, compression: 'none', records: [{ key: null, value: Buffer.from('x') }] }) }] }] });
    expect(bad.responses[0]!.partitionResponses[0]!.errorCode).toBe(3);

    let s = await scrape(broker.http!);
    expect(s.value('kafkaesque_partition_records_in_total', { topic, partition: 0 })).toBe(30);
    expect(s.value('kafkaesque_partition_records_in_total', { topic, partition: 1 })).toBe(20);
    expect(s.value('kafkaesque_partition_bytes_in_total', { topic, partition: 0 })).toBe(bytes0);
    expect(s.value('kafkaesque_partition_bytes_in_total', { topic, partition: 1 })).toBe(bytes1);
    expect(s.value('kafkaesque_partition_log_size_bytes', { topic, partition: 0 })).toBe(bytes0);
    expect(s.value('kafkaesque_partition_high_watermark', { topic, partition: 0 })).toBe(30);
    expect(s.value('kafkaesque_partition_high_watermark', { topic, partition: 1 })).toBe(20);
    expect(s.value('kafkaesque_partition_log_start_offset', { topic, partition: 0 })).toBe(0);
    expect(s.value('kafkaesque_requests_total', { api: 'Produce', version: 9 })).toBe(5);
    expect(s.value('kafkaesque_request_errors_total', { api: 'Produce', error: 'UNKNOWN_TOPIC_OR_PARTITION' })).toBe(1);
    expect(s.family('kafkaesque_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(s.value('kafkaesque_request_duration_seconds_count', { api: 'Produce' })).toBe(5);
    expect(s.value('kafkaesque_request_duration_seconds_bucket', { api: 'Produce', le: '+Inf' })).toBe(5);
    expect(s.value('kafkaesque_request_duration_seconds_sum', { api: 'Produce' })).toBeGreaterThan(0);
    expect(s.value('kafkaesque_connections_open', { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(2); // admin + raw
    raw.close();

    // A consumer group reads everything and commits.
    const group = 'observers';
    const consumer = kafkaClient(broker, 'observer').consumer({ groupId: group, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    await consumer.run({ autoCommitInterval: 50, eachMessage: async () => void consumed++ });
    await until(() => consumed === 50, 'the consumer to read all 50 records', 30_000);
    await until(async () => {
      const x = await scrape(broker.http!);
      return x.sum('kafkaesque_group_committed_offset', { group, topic }) === 50 && x.samples('kafkaesque_group_state', { group, state: 'Stable' }).length === 1;
    }, 'the group to commit offsets 30 and 20 while stable', 30_000);
    // Idle and caught up, the consumer's fetch waits for data.
    await until(async () => (await scrape(broker.http!)).value('kafkaesque_fetch_parked') >= 1, 'a parked fetch', 10_000);
    s = await scrape(broker.http!);
    expect(s.value('kafkaesque_group_members', { group })).toBe(1);
    expect(s.value('kafkaesque_group_committed_offset', { group, topic, partition: 0 })).toBe(30);
    expect(s.value('kafkaesque_group_committed_offset', { group, topic, partition: 1 })).toBe(20);
    expect(s.value('kafkaesque_partition_records_out_total', { topic, partition: 0 })).toBe(30);
    expect(s.value('kafkaesque_partition_records_out_total', { topic, partition: 1 })).toBe(20);
    expect(s.value('kafkaesque_partition_bytes_out_total', { topic, partition: 0 })).toBe(bytes0);
    expect(s.value('kafkaesque_partition_bytes_out_total', { topic, partition: 1 })).toBe(bytes1);
    await consumer.disconnect();

    // More records nobody consumes: lag.
    const raw2 = await RawClient.connect(broker);
    await produceBatch(raw2, topic, 0, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    raw2.close();
    await admin.disconnect();
    s = await scrape(broker.http!);
    expect(s.value('kafkaesque_group_lag', { group, topic, partition: 0 })).toBe(7);
    expect(s.value('kafkaesque_group_lag', { group, topic, partition: 1 })).toBe(0);
    expect(s.value('kafkaesque_group_state', { group })).toBe(1);
    expect(s.samples('kafkaesque_group_state', { group })[0]!.labels!.state).toBe('Empty');
    expect(s.value('kafkaesque_group_members', { group })).toBe(0);
    expect(s.value('kafkaesque_partition_records_in_total', { topic, partition: 0 })).toBe(37);
    await until(async () => (await scrape(broker.http!)).value('kafkaesque_connections_open', { listener: 'PLAINTEXT' }) === 0, 'every Kafka connection to be counted closed');
    s = await scrape(broker.http!);
    expect(s.value('kafkaesque_connections_total', { listener: 'PLAINTEXT' })).toBeGreaterThanOrEqual(4);
    expect(s.value('kafkaesque_fetch_parked')).toBe(0);
    // Fetch latency includes the time parked: the histogram saw the consumer's fetches.
    expect(s.value('kafkaesque_request_duration_seconds_count', { api: 'Fetch' })).toBe(s.sum('kafkaesque_requests_total', { api: 'Fetch' }));
  }, 60_000);

  it('counts what the in-process link appends and reads', async () => {
    const link = inProcessLink(broker);
    const topic = 'linked';
    expect((await link.prepareTopic(topic, false)).kind).toBe('ready');
    const batch = encodeRecordBatch({ baseTimestamp: 0, compression: 'none', records: Array.from({ length: 12 }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`) })) });
    expect((await link.append(topic, batch)).kind).toBe('appended');
    const read = await link.read(topic, 0n, 1 << 20, { waitForData: false });
    expect(read.kind).toBe('records');
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_partition_records_in_total', { topic, partition: 0 })).toBe(12);
    expect(s.value('kafkaesque_partition_records_out_total', { topic, partition: 0 })).toBe(12);
    expect(s.value('kafkaesque_partition_bytes_out_total', { topic, partition: 0 })).toBe(batch.length);
  });

  it.skipIf(!hasKcat())('counts what kcat (librdkafka) produces and consumes', async () => {
    const topic = 'kcat-observed';
    const brokers = `${broker.host}:${broker.port}`;
    const lines = Array.from({ length: 25 }, (_, i) => `line-${i}`).join('\n') + '\n';
    // Asynchronously: the broker runs in this process.
    const producer = execFile('kcat', ['-P', '-b', brokers, '-t', topic, '-p', '0', '-X', 'topic.request.required.acks=1'], { timeout: 30_000 });
    producer.stdin!.end(lines);
    await new Promise<void>((resolve, reject) => producer.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}`)))));
    const { stdout: out } = await promisify(execFile)('kcat', ['-C', '-b', brokers, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q'], { timeout: 30_000 });
    expect(out.trim().split('\n')).toHaveLength(25);
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_partition_records_in_total', { topic, partition: 0 })).toBe(25);
    expect(s.value('kafkaesque_partition_high_watermark', { topic, partition: 0 })).toBe(25);
    expect(s.value('kafkaesque_partition_records_out_total', { topic, partition: 0 })).toBe(25);
    expect(s.value('kafkaesque_partition_bytes_out_total', { topic, partition: 0 })).toBe(s.value('kafkaesque_partition_bytes_in_total', { topic, partition: 0 }));
  }, 60_000);
});

describe('/metrics unsupported versions', () => {
  it('counts a request in a version the broker does not serve, with UNSUPPORTED_VERSION', async () => {
    const before = await scrape(broker.http!);
    const raw = await RawClient.connect(broker);
    // ApiVersions v9 does not exist: the broker answers v0 with its ranges (KIP-511).
    const frame = raw.frame(ApiVersions, 4, createApiVersionsRequest({ clientSoftwareName: 'metrics-test', clientSoftwareVersion: '1' }), 77);
    frame.writeInt16BE(9, 6); // the version field of the request header, after size and API key
    raw.write(frame);
    expect(await raw.readFrame()).not.toBeNull();
    raw.close();
    const s = await scrape(broker.http!);
    expect(s.value('kafkaesque_requests_total', { api: 'ApiVersions', version: 9 })).toBe(1);
    expect(s.sum('kafkaesque_request_errors_total', { api: 'ApiVersions', error: 'UNSUPPORTED_VERSION' }) - before.sum('kafkaesque_request_errors_total', { api: 'ApiVersions', error: 'UNSUPPORTED_VERSION' })).toBe(1);
  });
});

describe('/metrics concurrency', () => {
  it('answers concurrent scrapes each with every series', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => scrape(broker.http!)));
    const counts = all.map((s) => s.samples('kafkaesque_partition_high_watermark').length);
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size).toBe(1);
  });
});
