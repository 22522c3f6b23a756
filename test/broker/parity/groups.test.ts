/**
 * Group and offset semantics as Kafka has them (issue 16): null commit metadata is stored as "", a group
 * whose last member left stays Empty while it has offsets (DescribeGroups shows it, DeleteGroups deletes it),
 * JoinGroup's rebalance timeout <= 0 means the session timeout. Raw requests and kafkajs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DeleteGroups } from '../../../src/protocol/messages/delete-groups.js';
import { DescribeGroups } from '../../../src/protocol/messages/describe-groups.js';
import { JoinGroup, type JoinGroupRequest } from '../../../src/protocol/messages/join-group.js';
import { LeaveGroup } from '../../../src/protocol/messages/leave-group.js';
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetch } from '../../../src/protocol/messages/offset-fetch.js';
import { SyncGroup } from '../../../src/protocol/messages/sync-group.js';
import { kafkaClient, RawClient, startTestBroker, type TestBroker } from '../helpers.js';

let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker({ groupInitialRebalanceDelayMs: 0 });
  const admin = kafkaClient(broker).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'gp', numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  c = await RawClient.connect(broker);
});

afterAll(async () => {
  c?.close();
  await broker?.stop();
});

function joinRequest(groupId: string, memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from([1, 2, 3]) }],
    reason: null,
    ...extra,
  };
}

/** Joins (v5: member id required, so twice) and syncs; returns the member id and generation. */
async function joinAndSync(group: string, extra: Partial<JoinGroupRequest> = {}): Promise<{ memberId: string; generationId: number }> {
  let join = await c.request(JoinGroup, 5, joinRequest(group, '', extra));
  if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) join = await c.request(JoinGroup, 5, joinRequest(group, join.memberId, extra));
  expect(join.errorCode).toBe(0);
  const sync = await c.request(SyncGroup, 3, { groupId: group, generationId: join.generationId, memberId: join.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: join.memberId, assignment: Buffer.alloc(0) }] });
  expect(sync.errorCode).toBe(0);
  return { memberId: join.memberId, generationId: join.generationId };
}

async function commit(group: string, m: { memberId: string; generationId: number }, metadata: string | null): Promise<number> {
  const res = await c.request(OffsetCommit, 8, {
    groupId: group, generationIdOrMemberEpoch: m.generationId, memberId: m.memberId, groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 'gp', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: metadata }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

async function describeState(group: string): Promise<string> {
  const d = await c.request(DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
  return d.groups[0]!.groupState;
}

describe('offsets and the Empty state', () => {
  it('null metadata is stored as ""; the group stays Empty after its last member leaves, and DeleteGroups deletes it', async () => {
    const g = 'gp-empty';
    const m = await joinAndSync(g);
    expect(await commit(g, m, null)).toBe(0);
    const fetched = await c.request(OffsetFetch, 7, { groupId: g, topics: [{ name: 'gp', partitionIndexes: [0, 1] }], groups: [], requireStable: false });
    expect(fetched.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata])).toEqual([
      [5n, ''],
      [-1n, ''],
    ]);
    const leave = await c.request(LeaveGroup, 4, { groupId: g, memberId: '', members: [{ memberId: m.memberId, groupInstanceId: null, reason: null }] });
    expect(leave.errorCode).toBe(0);
    expect(await describeState(g)).toBe('Empty');
    const del = await c.request(DeleteGroups, 2, { groupsNames: [g] });
    expect(del.results[0]!.errorCode).toBe(0);
    expect(await describeState(g)).toBe('Dead');
    const again = await c.request(DeleteGroups, 2, { groupsNames: [g] });
    expect(again.results[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('kafkajs: a consumer commits and disconnects; the group is Empty and the admin deletes it', async () => {
    const kafka = kafkaClient(broker, 'gp-kj');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'gp', messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'gp-kj', sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'gp', fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 2) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect(); // commits, then leaves
    const admin = kafka.admin();
    await admin.connect();
    try {
      const d = await admin.describeGroups(['gp-kj']);
      expect(d.groups[0]!.state).toBe('Empty');
      const offsets = await admin.fetchOffsets({ groupId: 'gp-kj', topics: ['gp'] });
      expect(offsets[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(2);
      const deleted = await admin.deleteGroups(['gp-kj']);
      expect(deleted[0]).toMatchObject({ groupId: 'gp-kj', errorCode: 0 });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('Empty after a session expires, and after a restart', () => {
  it('a member that stops heartbeating leaves an Empty group with its offsets; a restart keeps it Empty and deletable', async () => {
    const b = await startTestBroker({ groupMinSessionTimeoutMs: 50, groupInitialRebalanceDelayMs: 0 });
    let raw = await RawClient.connect(b);
    try {
      const admin = kafkaClient(b).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'gp', numPartitions: 2 }] });
      await admin.disconnect();
      const g = 'gp-expire';
      let join = await raw.request(JoinGroup, 5, joinRequest(g, '', { sessionTimeoutMs: 200, rebalanceTimeoutMs: 200 }));
      join = await raw.request(JoinGroup, 5, joinRequest(g, join.memberId, { sessionTimeoutMs: 200, rebalanceTimeoutMs: 200 }));
      const sync = await raw.request(SyncGroup, 3, { groupId: g, generationId: join.generationId, memberId: join.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
      expect(sync.errorCode).toBe(0);
      const commit = await raw.request(OffsetCommit, 8, {
        groupId: g, generationIdOrMemberEpoch: join.generationId, memberId: join.memberId, groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 'gp', partitions: [{ partitionIndex: 1, committedOffset: 3n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      });
      expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
      const state = async () => (await raw.request(DescribeGroups, 5, { groups: [g], includeAuthorizedOperations: false })).groups[0]!;
      const deadline = Date.now() + 10_000;
      while ((await state()).members.length > 0) {
        if (Date.now() > deadline) throw new Error('the member was not expired within 10 s of a 200 ms session timeout');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await state()).groupState).toBe('Empty');
      raw.close();
      await b.close();
      const again = await startTestBroker({ dataDir: b.dataDir });
      Object.assign(b, { stop: again.stop });
      raw = await RawClient.connect(again);
      expect((await state()).groupState).toBe('Empty');
      const del = await raw.request(DeleteGroups, 2, { groupsNames: [g] });
      expect(del.results[0]!.errorCode).toBe(0);
    } finally {
      raw.close();
      await b.stop();
    }
  });
});

describe('deadlines from client-supplied timeouts', () => {
  it('rebalance_timeout_ms 0 (or negative) takes the session timeout: a late SyncGroup still succeeds', async () => {
    for (const rebalanceTimeoutMs of [0, -1]) {
      const g = `gp-rt-${rebalanceTimeoutMs}`;
      let join = await c.request(JoinGroup, 5, joinRequest(g, '', { rebalanceTimeoutMs, sessionTimeoutMs: 6000 }));
      join = await c.request(JoinGroup, 5, joinRequest(g, join.memberId, { rebalanceTimeoutMs, sessionTimeoutMs: 6000 }));
      expect(join.errorCode).toBe(0);
      expect(broker.context.services.groups!.group(g)!.rebalanceTimeoutMs).toBe(6000);
      await new Promise((r) => setTimeout(r, 50)); // a little late: with a 0 ms deadline the member would be gone
      const sync = await c.request(SyncGroup, 3, { groupId: g, generationId: join.generationId, memberId: join.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
      expect(sync.errorCode).toBe(0);
    }
  });
});
