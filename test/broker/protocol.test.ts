/**
 * Wire-level behaviour through our own codecs: ApiVersions negotiation, every handler at every version it
 * advertises, unsupported versions, and in-order answers to pipelined requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../src/broker/handlers/index.js';
import { Writer } from '../../src/protocol/primitives.js';
import { ApiVersions, type ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js';
import { createMetadataRequest, Metadata, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce } from '../../src/protocol/messages/produce.js';
import { Fetch, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { createListOffsetsRequest, ListOffsets } from '../../src/protocol/messages/list-offsets.js';
import { createDescribeClusterRequest, DescribeCluster } from '../../src/protocol/messages/describe-cluster.js';
import { createDescribeTopicPartitionsRequest, DescribeTopicPartitions } from '../../src/protocol/messages/describe-topic-partitions.js';
import { writeRequestHeader } from '../../src/protocol/headers.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { advertisedMinVersion } from '../../src/broker/handlers/api-versions.js';
import { fetchRequest, produceRaw, RawClient, startTestBroker, type TestBroker } from './helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

const EXPECTED_RANGES: Record<number, [number, number]> = {
  0: [0, 11], // Produce: advertised from v0 (KAFKA-18659), served from v3
  1: [4, 17], // Fetch
  2: [0, 9], // ListOffsets
  3: [0, 12], // Metadata
  18: [0, 4], // ApiVersions
  19: [0, 7], // CreateTopics
  20: [0, 6], // DeleteTopics
  21: [0, 2], // DeleteRecords
  32: [0, 4], // DescribeConfigs
  37: [0, 3], // CreatePartitions
  60: [0, 1], // DescribeCluster
  75: [0, 0], // DescribeTopicPartitions
};

describe('ApiVersions', () => {
  it.each([0, 1, 2, 3, 4])('v%i advertises exactly the registered handlers', async (v) => {
    const c = await RawClient.connect(broker);
    const res = await c.request(ApiVersions, v, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    c.close();
    expect(res.errorCode).toBe(0);
    const advertised = Object.fromEntries(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    const registered = Object.fromEntries(handlers.map((h) => [h.codec.apiKey, [advertisedMinVersion(h.codec.apiKey, h.minVersion), h.maxVersion]]));
    expect(advertised).toEqual(registered);
    for (const [key, range] of Object.entries(EXPECTED_RANGES)) expect(advertised[key]).toEqual(range);
  });

  it('answers a too-new version with the v0-format error 35 and our ranges, on the same connection', async () => {
    const c = await RawClient.connect(broker);
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(w, 2, { apiKey: 18, apiVersion: 9, correlationId: 77, clientId: 'future' });
    w.compactString('x').compactString('y').taggedFields(); // a body we do not need to understand
    w.patchInt32(0, w.length - 4);
    c.write(w.toBuffer());
    const frame = await c.readFrame();
    const { correlationId, body } = RawClient.decode(ApiVersions, 0, frame!);
    expect(correlationId).toBe(77);
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys.find((k) => k.apiKey === 18)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 4 });
    // The client retries lower on the same connection.
    const retry: ApiVersionsResponse = await c.request(ApiVersions, 3, { clientSoftwareName: 'a', clientSoftwareVersion: 'b' });
    expect(retry.errorCode).toBe(0);
    c.close();
  });
});

describe('versions', () => {
  it.each(Array.from({ length: 13 }, (_, v) => v))('Metadata v%i lists this node and auto-creates', async (v) => {
    const c = await RawClient.connect(broker);
    const topic = `meta-v${v}`;
    const res: MetadataResponse = await c.request(Metadata, v, createMetadataRequest({ topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true }));
    c.close();
    expect(res.brokers).toEqual([{ nodeId: 0, host: broker.host, port: broker.port, rack: null }]);
    const t = res.topics[0]!;
    expect(t).toMatchObject({ errorCode: 0, name: topic });
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]).toMatchObject({ leaderId: 0, replicaNodes: [0], isrNodes: [0] });
    if (v >= 10) expect(t.topicId).not.toBe('00000000-0000-0000-0000-000000000000');
  });

  it('Metadata v4+ honours allowAutoTopicCreation=false', async () => {
    const c = await RawClient.connect(broker);
    const res: MetadataResponse = await c.request(Metadata, 9, createMetadataRequest({ topics: [{ name: 'no-create', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false }));
    c.close();
    expect(res.topics[0]!.errorCode).toBe(3);
  });

  it.each(Array.from({ length: 9 }, (_, i) => i + 3))('Produce v%i appends and Fetch at every version reads it', async (v) => {
    const c = await RawClient.connect(broker);
    const topic = `pv${v}`;
    const meta: MetadataResponse = await c.request(Metadata, 12, createMetadataRequest({ topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true }));
    const topicId = meta.topics[0]!.topicId;
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`v${v}`) }] });
    const res = await c.request(Produce, v, createProduceRequest({ acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }));
    expect(res.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0n });
    for (let fv = 4; fv <= 17; fv++) {
      const f: FetchResponse = await c.request(Fetch, fv, fetchRequest(topic, 0, 0n, {}, topicId));
      const p = f.responses[0]!.partitions[0]!;
      expect(p.errorCode, `fetch v${fv}`).toBe(0);
      expect(p.highWatermark).toBe(1n);
      expect(p.records?.length).toBe(batch.length);
    }
    c.close();
  });

  it.each(Array.from({ length: 10 }, (_, v) => v))('ListOffsets v%i', async (v) => {
    const c = await RawClient.connect(broker);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: `lo${v}`, topicId: '00000000-0000-0000-0000-000000000000' }] }));
    await produceRaw(c, `lo${v}`, 0, ['a', 'b']);
    const res = await c.request(ListOffsets, v, createListOffsetsRequest({ replicaId: -1, topics: [{ name: `lo${v}`, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }));
    c.close();
    const p = res.topics[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    if (v === 0) expect(p.oldStyleOffsets).toEqual([2n]);
    else expect(p.offset).toBe(2n);
  });

  it.each([0, 1])('DescribeCluster v%i', async (v) => {
    const c = await RawClient.connect(broker);
    const res = await c.request(DescribeCluster, v, createDescribeClusterRequest({ endpointType: 1 }));
    c.close();
    expect(res).toMatchObject({ errorCode: 0, controllerId: 0, brokers: [{ brokerId: 0, host: broker.host, port: broker.port }] });
  });

  it('DescribeTopicPartitions v0 pages with a cursor', async () => {
    const c = await RawClient.connect(broker);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'dtp-a', topicId: '00000000-0000-0000-0000-000000000000' }, { name: 'dtp-b', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const names = [{ name: 'dtp-b' }, { name: 'dtp-a' }, { name: 'dtp-missing' }];
    const first = await c.request(DescribeTopicPartitions, 0, createDescribeTopicPartitionsRequest({ topics: names, responsePartitionLimit: 1 }));
    expect(first.topics.map((t) => t.name)).toEqual(['dtp-a']);
    expect(first.nextCursor).toEqual({ topicName: 'dtp-b', partitionIndex: 0 });
    const second = await c.request(DescribeTopicPartitions, 0, createDescribeTopicPartitionsRequest({ topics: names, responsePartitionLimit: 5, cursor: first.nextCursor }));
    expect(second.topics.map((t) => [t.name, t.errorCode])).toEqual([['dtp-b', 0], ['dtp-missing', 3]]);
    expect(second.nextCursor).toBeNull();
    c.close();
  });

  it('an unsupported version of a known API gets UNSUPPORTED_VERSION and the connection stays up', async () => {
    const c = await RawClient.connect(broker);
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    const res = await c.request(Produce, 2, createProduceRequest({ acks: 1, topicData: [{ name: 'old', partitionData: [{ index: 0, records: batch }] }] }));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(35);
    const f = await c.request(Fetch, 3, fetchRequest('old', 0, 0n));
    expect(f.responses[0]!.partitions[0]!.errorCode).toBe(35);
    const ok = await c.request(ApiVersions, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
    expect(ok.errorCode).toBe(0);
    c.close();
  });
});

describe('pipelining', () => {
  it('answers ApiVersions v0 + Metadata v0 sent in one write, in order (kafka-python probe)', async () => {
    const c = await RawClient.connect(broker);
    c.write(Buffer.concat([c.frame(ApiVersions, 0, { clientSoftwareName: '', clientSoftwareVersion: '' }, 1), c.frame(Metadata, 0, createMetadataRequest({ topics: [] }), 2)]));
    const a = RawClient.decode(ApiVersions, 0, (await c.readFrame())!);
    const m = RawClient.decode(Metadata, 0, (await c.readFrame())!);
    expect([a.correlationId, m.correlationId]).toEqual([1, 2]);
    expect(m.body.brokers[0]!.nodeId).toBe(0);
    c.close();
  });

  it('keeps request order when an earlier request (a parked fetch) finishes last', async () => {
    const c = await RawClient.connect(broker);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'order', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const started = Date.now();
    c.write(
      Buffer.concat([
        c.frame(Fetch, 11, fetchRequest('order', 0, 0n, { maxWaitMs: 400, minBytes: 1 }), 10),
        c.frame(Metadata, 1, createMetadataRequest({ topics: null }), 11),
        c.frame(ApiVersions, 2, { clientSoftwareName: '', clientSoftwareVersion: '' }, 12),
      ]),
    );
    const ids: number[] = [];
    ids.push(RawClient.decode(Fetch, 11, (await c.readFrame())!).correlationId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350); // the fetch waited out max_wait_ms
    ids.push(RawClient.decode(Metadata, 1, (await c.readFrame())!).correlationId);
    ids.push(RawClient.decode(ApiVersions, 2, (await c.readFrame())!).correlationId);
    expect(ids).toEqual([10, 11, 12]);
    c.close();
  });

  it('applies pipelined produce requests in the order sent', async () => {
    const c = await RawClient.connect(broker);
    await c.request(Metadata, 1, createMetadataRequest({ topics: [{ name: 'pipe-produce', topicId: '00000000-0000-0000-0000-000000000000' }] }));
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(String(i)) }] });
      frames.push(c.frame(Produce, 7, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: 'pipe-produce', partitionData: [{ index: 0, records: batch }] }] }), 100 + i));
    }
    c.write(Buffer.concat(frames));
    for (let i = 0; i < 50; i++) {
      const r = RawClient.decode(Produce, 7, (await c.readFrame())!);
      expect(r.correlationId).toBe(100 + i);
      expect(r.body.responses[0]!.partitionResponses[0]!.baseOffset).toBe(BigInt(i));
    }
    c.close();
  });
});
