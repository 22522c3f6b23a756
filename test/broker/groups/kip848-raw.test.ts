/**
 * KIP-848 edge cases over raw TCP with our codecs: join and epochs, fenced and unknown members, revocation
 * before assignment, static members leaving with -2 and rejoining, regex subscriptions (and a refused
 * catastrophic one), classic and consumer groups on one id, offsets with member epochs, describe and list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ConsumerGroupHeartbeat, createConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { ConsumerGroupDescribe } from '../../../src/protocol/messages/consumer-group-describe.js';
import { JoinGroup } from '../../../src/protocol/messages/join-group.js';
import { DeleteGroups } from '../../../src/protocol/messages/delete-groups.js';
import { ListGroups } from '../../../src/protocol/messages/list-groups.js';
import { DescribeGroups } from '../../../src/protocol/messages/describe-groups.js';
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetch } from '../../../src/protocol/messages/offset-fetch.js';
import { Metadata } from '../../../src/protocol/messages/metadata.js';
import { kafkaClient, RawClient, startTestBroker, type TestBroker } from '../helpers.js';

let broker: TestBroker;
let c: RawClient;
let topicId: string;
let otherId: string;

beforeAll(async () => {
  broker = await startTestBroker({ groupConsumerSessionTimeoutMs: 1_500, groupConsumerHeartbeatIntervalMs: 200 } as never);
  const admin = kafkaClient(broker).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'k848', numPartitions: 4 }, { topic: 'k848-other', numPartitions: 2 }, { topic: 'plain', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  c = await RawClient.connect(broker);
  const md = await c.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false } as never);
  topicId = md.topics.find((t) => t.name === 'k848')!.topicId;
  otherId = md.topics.find((t) => t.name === 'k848-other')!.topicId;
});

afterAll(async () => {
  c?.close();
  await broker?.stop();
});

function hb(fields: Partial<ConsumerGroupHeartbeatRequest>, version = 1): Promise<ConsumerGroupHeartbeatResponse> {
  return c.request(ConsumerGroupHeartbeat, version, createConsumerGroupHeartbeatRequest({ rebalanceTimeoutMs: 30_000, ...fields }));
}

const owned = (r: ConsumerGroupHeartbeatResponse) => (r.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions.map((p) => `${t.topicId === topicId ? 'k' : 'o'}${p}`)).sort();

describe('KIP-848 ConsumerGroupHeartbeat', () => {
  it('a lone member gets every partition at the group epoch', async () => {
    const r = await hb({ groupId: 'g1', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    expect(r.errorCode).toBe(0);
    expect(r.memberId).toBeTruthy();
    expect(r.memberEpoch).toBe(1);
    expect(r.heartbeatIntervalMs).toBe(200);
    expect(owned(r)).toEqual(['k0', 'k1', 'k2', 'k3']);
  });

  it('revokes before it assigns: a partition moves only after its owner acknowledged the revocation', async () => {
    const a = await hb({ groupId: 'g2', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [], serverAssignor: 'range' });
    const aId = a.memberId!;
    const b = await hb({ groupId: 'g2', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    // b's target is half of the partitions, but a still owns them all: b gets nothing yet.
    expect(b.memberEpoch).toBe(2);
    expect(owned(b)).toEqual([]);
    // a is told to give up the half that moves; its epoch stays until it acknowledges.
    const all = [{ topicId, partitions: [0, 1, 2, 3] }];
    const a2 = await hb({ groupId: 'g2', memberId: aId, memberEpoch: 1, topicPartitions: all });
    expect(a2.memberEpoch).toBe(1);
    const kept = owned(a2);
    expect(kept).toHaveLength(2);
    // b asks again: still nothing, the revocation is not acknowledged.
    const b2 = await hb({ groupId: 'g2', memberId: b.memberId!, memberEpoch: 2, topicPartitions: [] });
    expect(owned(b2)).toEqual([]);
    // a acknowledges (reports owning only what it keeps) and moves to epoch 2.
    const a3 = await hb({ groupId: 'g2', memberId: aId, memberEpoch: 1, topicPartitions: a2.assignment!.topicPartitions });
    expect(a3.memberEpoch).toBe(2);
    // now b gets the freed partitions, and no partition is owned twice.
    const b3 = await hb({ groupId: 'g2', memberId: b.memberId!, memberEpoch: 2, topicPartitions: [] });
    expect(owned(b3)).toHaveLength(2);
    expect([...owned(b3), ...owned(a3)].sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
  });

  it('a member that does not revoke within its rebalance timeout is removed, and its partitions move', async () => {
    const a = await hb({ groupId: 'g12', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [], rebalanceTimeoutMs: 300 });
    const b = await hb({ groupId: 'g12', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    // a is told to revoke, keeps heartbeating, but keeps reporting every partition as owned.
    const all = [{ topicId, partitions: [0, 1, 2, 3] }];
    expect((await hb({ groupId: 'g12', memberId: a.memberId!, memberEpoch: 1, topicPartitions: all, rebalanceTimeoutMs: -1 })).errorCode).toBe(0);
    const started = Date.now();
    let last = b;
    while (owned(last).length < 4) {
      if (Date.now() - started > 15_000) throw new Error(`b never got a's partitions: ${owned(last)}`);
      await new Promise((r) => setTimeout(r, 50));
      const stuck = await hb({ groupId: 'g12', memberId: a.memberId!, memberEpoch: 1, topicPartitions: all, rebalanceTimeoutMs: -1 });
      last = await hb({ groupId: 'g12', memberId: b.memberId!, memberEpoch: last.memberEpoch, topicPartitions: last.assignment?.topicPartitions ?? [] });
      if (stuck.errorCode !== 0) expect(stuck.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      if (process.env.DEBUG848) console.log(stuck.errorCode, stuck.memberEpoch, owned(stuck), last.errorCode, last.memberEpoch, owned(last));
    }
    // Session timeout is 1.5 s: the move came from the 300 ms rebalance timeout, not the session.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('fences a member with a newer or stale epoch, and refuses an unknown member', async () => {
    const a = await hb({ groupId: 'g3', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    expect((await hb({ groupId: 'g3', memberId: a.memberId!, memberEpoch: 7, topicPartitions: null })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    await hb({ groupId: 'g3', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] }); // bumps the group epoch
    const a2 = await hb({ groupId: 'g3', memberId: a.memberId!, memberEpoch: 1, topicPartitions: a.assignment!.topicPartitions });
    expect(a2.errorCode).toBe(0);
    const ack = await hb({ groupId: 'g3', memberId: a.memberId!, memberEpoch: 1, topicPartitions: a2.assignment!.topicPartitions });
    expect(ack.memberEpoch).toBe(2);
    // the previous epoch (1) is accepted only when the member owns no more than it is assigned: fenced
    expect((await hb({ groupId: 'g3', memberId: a.memberId!, memberEpoch: 1, topicPartitions: a.assignment!.topicPartitions })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await hb({ groupId: 'g3', memberId: 'nobody', memberEpoch: 3, topicPartitions: null })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await hb({ groupId: 'g-none', memberId: 'nobody', memberEpoch: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('refuses bad requests: no subscription on join, unknown assignor, empty group id', async () => {
    expect((await hb({ groupId: 'g4', memberEpoch: 0, topicPartitions: [] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ groupId: 'g4', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [], serverAssignor: 'sticky-ish' })).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
    expect((await hb({ groupId: '', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('a static member leaving with -2 keeps its partitions and its rejoin inherits them', async () => {
    const a = await hb({ groupId: 'g5', memberEpoch: 0, instanceId: 'inst-a', subscribedTopicNames: ['k848'], topicPartitions: [] });
    expect(owned(a)).toHaveLength(4);
    // A second instance with the same id while the first is active: UNRELEASED_INSTANCE_ID.
    expect((await hb({ groupId: 'g5', memberEpoch: 0, instanceId: 'inst-a', subscribedTopicNames: ['k848'], topicPartitions: [] })).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    const left = await hb({ groupId: 'g5', memberId: a.memberId!, memberEpoch: -2, instanceId: 'inst-a' });
    expect(left.errorCode).toBe(0);
    expect(left.memberEpoch).toBe(-2);
    const back = await hb({ groupId: 'g5', memberEpoch: 0, instanceId: 'inst-a', subscribedTopicNames: ['k848'], topicPartitions: [] });
    expect(back.errorCode).toBe(0);
    expect(back.memberId).not.toBe(a.memberId);
    expect(back.memberEpoch).toBe(a.memberEpoch);
    expect(owned(back)).toEqual(owned(a));
  });

  it('subscribes by regex (v1) and refuses a catastrophic pattern', async () => {
    const r = await hb({ groupId: 'g6', memberEpoch: 0, subscribedTopicRegex: 'k848.*', topicPartitions: [] });
    expect(r.errorCode).toBe(0);
    expect(owned(r)).toEqual(['k0', 'k1', 'k2', 'k3', 'o0', 'o1']);
    for (const evil of ['(a+)+$', '(a|aa)*b', '(.*)*x', '(\\w+\\s?)+$', 'x'.repeat(2000)]) {
      const bad = await hb({ groupId: 'g6b', memberEpoch: 0, subscribedTopicRegex: evil, topicPartitions: [] });
      expect(bad.errorCode, evil.slice(0, 20)).toBe(ErrorCode.INVALID_REQUEST);
    }
  });

  it('session expiry frees a dead member’s partitions for the others', async () => {
    const a = await hb({ groupId: 'g7', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    const b = await hb({ groupId: 'g7', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    expect(owned(b)).toEqual([]);
    // a never heartbeats again; b keeps heartbeating until it owns everything (session timeout 1.5 s).
    const started = Date.now();
    let last = b;
    while (owned(last).length < 4) {
      if (Date.now() - started > 15_000) throw new Error(`b never got a's partitions: ${owned(last)}`);
      await new Promise((r) => setTimeout(r, 100));
      last = await hb({ groupId: 'g7', memberId: b.memberId!, memberEpoch: last.memberEpoch, topicPartitions: last.assignment?.topicPartitions ?? [] });
      expect(last.errorCode).toBe(0);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect((await hb({ groupId: 'g7', memberId: a.memberId!, memberEpoch: 1, topicPartitions: [] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('classic and consumer groups keep their id: a mixed join gets Kafka 3.9 errors', async () => {
    await hb({ groupId: 'g8', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    const join = await c.request(JoinGroup, 9, {
      groupId: 'g8', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0]) }], reason: null,
    });
    expect(join.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // A classic group with a (pending) member refuses a consumer-protocol heartbeat.
    const classic = await c.request(JoinGroup, 4, {
      groupId: 'g9', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0]) }], reason: null,
    });
    expect(classic.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = c.request(JoinGroup, 4, {
      groupId: 'g9', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: classic.memberId, groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from([0]) }], reason: null,
    });
    expect((await joined).errorCode).toBe(0);
    expect((await hb({ groupId: 'g9', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // DeleteGroups: a consumer group with members is not empty; once its member leaves it can go.
    const a8 = (await c.request(ConsumerGroupDescribe, 0, { groupIds: ['g8'], includeAuthorizedOperations: false })).groups[0]!.members[0]!;
    expect((await c.request(DeleteGroups, 2, { groupsNames: ['g8'] })).results[0]!.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    // ListGroups shows both types; DescribeGroups (v5, Kafka 3.9) shows the consumer group as Dead.
    const listed = await c.request(ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.find((g) => g.groupId === 'g8')).toMatchObject({ groupType: 'consumer', protocolType: 'consumer' });
    expect(listed.groups.find((g) => g.groupId === 'g9')).toMatchObject({ groupType: 'classic' });
    const onlyConsumer = await c.request(ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(onlyConsumer.groups.map((g) => g.groupId)).toContain('g8');
    expect(onlyConsumer.groups.map((g) => g.groupId)).not.toContain('g9');
    const described = await c.request(DescribeGroups, 5, { groups: ['g8'], includeAuthorizedOperations: false });
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
    await hb({ groupId: 'g8', memberId: a8.memberId, memberEpoch: -1 });
    expect((await c.request(DeleteGroups, 2, { groupsNames: ['g8'] })).results[0]!.errorCode).toBe(0);
    expect((await c.request(ListGroups, 5, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).not.toContain('g8');
  });

  it('offset commits and fetches (v9) carry the member epoch: STALE_MEMBER_EPOCH and UNKNOWN_MEMBER_ID', async () => {
    const a = await hb({ groupId: 'g10', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    const commit = (memberId: string, epoch: number) =>
      c.request(OffsetCommit, 9, {
        groupId: 'g10', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 'k848', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
      } as never);
    const code = (r: any) => r.topics[0].partitions[0].errorCode;
    expect(code(await commit(a.memberId!, a.memberEpoch))).toBe(0);
    expect(code(await commit(a.memberId!, a.memberEpoch + 1))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(code(await commit('nobody', 1))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const fetch = (memberId: string | null, memberEpoch: number) =>
      c.request(OffsetFetch, 9, { groups: [{ groupId: 'g10', memberId, memberEpoch, topics: [{ name: 'k848', partitionIndexes: [0] }] }], requireStable: false } as never);
    const fetched = await fetch(a.memberId!, a.memberEpoch);
    expect(fetched.groups[0]!.errorCode).toBe(0);
    expect(fetched.groups[0]!.topics[0]!.partitions[0]!.committedOffset).toBe(5n);
    expect((await fetch(a.memberId!, a.memberEpoch + 1)).groups[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await fetch('nobody', 1)).groups[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await fetch(null, -1)).groups[0]!.errorCode).toBe(0);
  });

  it('ConsumerGroupDescribe shows epochs, assignor and members; a classic group is not found', async () => {
    const a = await hb({ groupId: 'g11', memberEpoch: 0, subscribedTopicNames: ['k848', 'k848-other'], topicPartitions: [], serverAssignor: 'range' });
    const res = await c.request(ConsumerGroupDescribe, 0, { groupIds: ['g11', 'g9', 'nope'], includeAuthorizedOperations: false });
    const [g, classic, none] = res.groups;
    expect(g).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'range' });
    expect(g!.members[0]).toMatchObject({ memberId: a.memberId, memberEpoch: 1, subscribedTopicNames: ['k848', 'k848-other'] });
    expect(g!.members[0]!.assignment.topicPartitions.map((t) => `${t.topicName}:${t.partitions.join(',')}`).sort()).toEqual(['k848-other:0,1', 'k848:0,1,2,3']);
    expect(classic!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(none!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    void otherId;
  });

  it('an empty consumer group is forgotten by the retention check: at once without offsets, after offsets.retention with them', async () => {
    const coordinator = broker.context.services.groups!;
    const a = await hb({ groupId: 'g13', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    const b = await hb({ groupId: 'g14', memberEpoch: 0, subscribedTopicNames: ['k848'], topicPartitions: [] });
    await c.request(OffsetCommit, 9, {
      groupId: 'g14', generationIdOrMemberEpoch: b.memberEpoch, memberId: b.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'k848', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    } as never);
    await hb({ groupId: 'g13', memberId: a.memberId!, memberEpoch: -1 });
    await hb({ groupId: 'g14', memberId: b.memberId!, memberEpoch: -1 });
    coordinator.expireOffsets(Date.now());
    expect(coordinator.consumerGroups.has('g13')).toBe(false);
    expect(coordinator.consumerGroups.has('g14')).toBe(true);
    coordinator.expireOffsets(Date.now() + coordinator.config.offsetsRetentionMs + 1);
    expect(coordinator.consumerGroups.has('g14')).toBe(false);
    expect(coordinator.fetchOffsets('g14', null)).toEqual([]);
  });
});
