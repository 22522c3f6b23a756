/**
 * OffsetDelete, DescribeLogDirs and DescribeProducers (issue 16), with @platformatic/kafka's admin and kafkajs
 * producers as the real clients and raw requests for the edge cases.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DescribeLogDirs } from '../../../src/protocol/messages/describe-log-dirs.js';
import { DescribeProducers } from '../../../src/protocol/messages/describe-producers.js';
import { JoinGroup } from '../../../src/protocol/messages/join-group.js';
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetDelete } from '../../../src/protocol/messages/offset-delete.js';
import { OffsetFetch } from '../../../src/protocol/messages/offset-fetch.js';
import { SyncGroup } from '../../../src/protocol/messages/sync-group.js';
import { LeaveGroup } from '../../../src/protocol/messages/leave-group.js';
import { kafkaClient, produceRaw, RawClient, startTestBroker, type TestBroker } from '../helpers.js';

let broker: TestBroker;
let c: RawClient;
beforeAll(async () => {
  broker = await startTestBroker({ numPartitions: 2, groupInitialRebalanceDelayMs: 0 });
  const admin = kafkaClient(broker).admin();
  await admin.connect();
  await admin.createTopics({ topics: ['od-a', 'od-b', 'ld', 'dp'].map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
  c = await RawClient.connect(broker);
});
afterAll(async () => {
  c?.close();
  await broker?.stop();
});

/** A consumer-protocol Subscription (v0) to `topics`. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.alloc(4)); // no user data
  return Buffer.concat(parts);
}

async function offsetsOf(group: string, topic: string): Promise<bigint[]> {
  const f = await c.request(OffsetFetch, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1] }], groups: [], requireStable: false });
  return f.topics[0]!.partitions.map((p) => p.committedOffset);
}

describe('OffsetDelete', () => {
  it('deletes offsets of unsubscribed topics; GROUP_SUBSCRIBED_TO_TOPIC for consumed ones; then the admin deletes the rest', async () => {
    const g = 'od-group';
    const join = (memberId: string) =>
      c.request(JoinGroup, 5, { groupId: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['od-a']) }], reason: null });
    let j = await join('');
    j = await join(j.memberId);
    expect(j.errorCode).toBe(0);
    const s = await c.request(SyncGroup, 3, { groupId: g, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(0);
    const commit = await c.request(OffsetCommit, 8, {
      groupId: g, generationIdOrMemberEpoch: j.generationId, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: ['od-a', 'od-b'].map((name) => ({ name, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: 7n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) })),
    });
    expect(commit.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual([0, 0, 0, 0]);

    const del = await c.request(OffsetDelete, 0, { groupId: g, topics: [{ name: 'od-a', partitions: [{ partitionIndex: 0 }] }, { name: 'od-b', partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] });
    expect(del.errorCode).toBe(0);
    expect(del.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode]))).toEqual([
      [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]],
      [[0, 0], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    expect(await offsetsOf(g, 'od-a')).toEqual([7n, 7n]);
    expect(await offsetsOf(g, 'od-b')).toEqual([-1n, 7n]);

    const missing = await c.request(OffsetDelete, 0, { groupId: 'no-such-group', topics: [{ name: 'od-a', partitions: [{ partitionIndex: 0 }] }] });
    expect(missing.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

    // Once the member has left, the group is Empty and nothing it held is protected.
    await c.request(LeaveGroup, 4, { groupId: g, memberId: '', members: [{ memberId: j.memberId, groupInstanceId: null, reason: null }] });
    const admin = new Admin({ clientId: 'od-admin', bootstrapBrokers: [broker.address] });
    try {
      await admin.deleteConsumerGroupOffsets({ groupId: g, topics: [{ name: 'od-a', partitionIndexes: [0, 1] }] });
    } finally {
      await admin.close();
    }
    expect(await offsetsOf(g, 'od-a')).toEqual([-1n, -1n]);
    expect(await offsetsOf(g, 'od-b')).toEqual([-1n, 7n]);
  });
});

describe('DescribeLogDirs', () => {
  it('reports the data directory and each partition size, at every version and through @platformatic/kafka', async () => {
    expect((await produceRaw(c, 'ld', 1, ['a', 'bb', 'ccc'])).errorCode).toBe(0);
    const onDisk = (p: number) => fs.readdirSync(path.join(broker.dataDir, `ld-${p}`)).filter((f) => f.endsWith('.log')).reduce((n, f) => n + fs.statSync(path.join(broker.dataDir, `ld-${p}`, f)).size, 0);
    for (let v = 0; v <= 4; v++) {
      const res = await c.request(DescribeLogDirs, v, { topics: [{ topic: 'ld', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }] });
      expect(res.results).toHaveLength(1);
      const r = res.results[0]!;
      expect(r.errorCode).toBe(0);
      expect(r.logDir).toBe(path.resolve(broker.dataDir));
      expect(r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, Number(p.partitionSize), p.offsetLag, p.isFutureKey])])).toEqual([
        ['ld', [[0, 0, 0n, false], [1, onDisk(1), 0n, false]]],
      ]);
      expect(onDisk(1)).toBeGreaterThan(0);
      if (v >= 4) {
        expect(r.totalBytes).toBeGreaterThan(0n);
        expect(r.usableBytes).toBeGreaterThan(0n);
        expect(r.usableBytes).toBeLessThanOrEqual(r.totalBytes);
      }
    }
    const all = await c.request(DescribeLogDirs, 4, { topics: null });
    expect(all.results[0]!.topics.map((t) => t.name).sort()).toEqual(['dp', 'ld', 'od-a', 'od-b']);

    const admin = new Admin({ clientId: 'ld-admin', bootstrapBrokers: [broker.address] });
    try {
      const dirs = await admin.describeLogDirs({ topics: [{ name: 'ld', partitions: [1] }] });
      expect(dirs[0]!.results[0]!.logDir).toBe(path.resolve(broker.dataDir));
      expect(Number(dirs[0]!.results[0]!.topics[0]!.partitions[0]!.partitionSize)).toBe(onDisk(1));
    } finally {
      await admin.close();
    }
  });
});

describe('DescribeProducers', () => {
  it('shows a kafkajs idempotent producer with its epoch and last sequence', async () => {
    const producer = kafkaClient(broker, 'dp-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic: 'dp', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 0 }] });
      await producer.send({ topic: 'dp', messages: [{ value: 'd', partition: 0 }] });
    } finally {
      await producer.disconnect();
    }
    const before = Date.now();
    const res = await c.request(DescribeProducers, 0, { topics: [{ name: 'dp', partitionIndexes: [0, 1, 5] }, { name: 'nope', partitionIndexes: [0] }] });
    const [p0, p1, p5] = res.topics[0]!.partitions;
    expect(p0!.errorCode).toBe(0);
    expect(p0!.activeProducers).toHaveLength(1);
    const prod = p0!.activeProducers[0]!;
    expect(prod.producerId).toBeGreaterThanOrEqual(0n);
    expect(prod.producerEpoch).toBe(0);
    expect(prod.lastSequence).toBe(3);
    expect(prod.currentTxnStartOffset).toBe(-1n);
    expect(Number(prod.lastTimestamp)).toBeLessThanOrEqual(before);
    expect(p1).toMatchObject({ errorCode: 0, activeProducers: [] });
    expect(p5!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(res.topics[1]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
