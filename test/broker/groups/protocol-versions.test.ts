/**
 * Every version of every group API over a raw TCP connection with our codecs: a member's whole life
 * (find coordinator, join, sync, heartbeat, commit, fetch, describe, list, leave, delete) at each version,
 * plus the batched forms (FindCoordinator v4+, LeaveGroup v3+, OffsetFetch v8+) and static membership.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteGroups } from '../../../src/protocol/messages/delete-groups.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { DescribeGroups } from '../../../src/protocol/messages/describe-groups.js';
import { FindCoordinator } from '../../../src/protocol/messages/find-coordinator.js';
import { Heartbeat } from '../../../src/protocol/messages/heartbeat.js';
import { JoinGroup, type JoinGroupRequest } from '../../../src/protocol/messages/join-group.js';
import { LeaveGroup } from '../../../src/protocol/messages/leave-group.js';
import { ListGroups } from '../../../src/protocol/messages/list-groups.js';
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.js';
import { OffsetFetch } from '../../../src/protocol/messages/offset-fetch.js';
import { SyncGroup } from '../../../src/protocol/messages/sync-group.js';
import { kafkaClient, RawClient, startTestBroker, type TestBroker } from '../helpers.js';

let broker: TestBroker;
let c: RawClient;

beforeAll(async () => {
  broker = await startTestBroker();
  const admin = kafkaClient(broker).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'pv', numPartitions: 2 }], waitForLeaders: true });
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

const v = (i: number, max: number) => Math.min(i, max);

describe('group APIs at every version', () => {
  it('advertises the issue ranges in ApiVersions', async () => {
    const res = await c.request(ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const ranges = new Map(res.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    expect(ranges.get(8)).toEqual([0, 9]);
    expect(ranges.get(9)).toEqual([0, 9]);
    expect(ranges.get(10)).toEqual([0, 6]);
    expect(ranges.get(11)).toEqual([0, 9]);
    expect(ranges.get(12)).toEqual([0, 4]);
    expect(ranges.get(13)).toEqual([0, 5]);
    expect(ranges.get(14)).toEqual([0, 5]);
    expect(ranges.get(15)).toEqual([0, 5]);
    expect(ranges.get(16)).toEqual([0, 5]);
    expect(ranges.get(22)).toEqual([0, 5]);
    expect(ranges.get(42)).toEqual([0, 2]);
  });

  for (let i = 0; i <= 9; i++) {
    it(`runs a member's life with version index ${i}`, async () => {
      const group = `pv-${i}`;
      const fc = await c.request(FindCoordinator, v(i, 6), { key: group, keyType: 0, coordinatorKeys: [group] });
      if (v(i, 6) >= 4) expect(fc.coordinators).toEqual([{ key: group, nodeId: 0, host: broker.host, port: broker.port, errorCode: 0, errorMessage: null }]);
      else expect(fc).toMatchObject({ errorCode: 0, nodeId: 0, host: broker.host, port: broker.port });

      const jv = v(i, 9);
      let join = await c.request(JoinGroup, jv, joinRequest(group, ''));
      if (jv >= 4) {
        expect(join.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
        join = await c.request(JoinGroup, jv, joinRequest(group, join.memberId));
      }
      expect(join).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
      expect(join.leader).toBe(join.memberId);
      expect(join.members.map((m) => [...m.metadata])).toEqual([[1, 2, 3]]);
      if (jv >= 7) expect(join.protocolType).toBe('consumer');
      const memberId = join.memberId;

      const sv = v(i, 5);
      const sync = await c.request(SyncGroup, sv, {
        groupId: group,
        generationId: 1,
        memberId,
        groupInstanceId: null,
        protocolType: sv >= 5 ? 'consumer' : null,
        protocolName: sv >= 5 ? 'range' : null,
        assignments: [{ memberId, assignment: Buffer.from([9, 8, 7]) }],
      });
      expect(sync.errorCode).toBe(0);
      expect([...sync.assignment]).toEqual([9, 8, 7]);

      expect((await c.request(Heartbeat, v(i, 4), { groupId: group, generationId: 1, memberId, groupInstanceId: null })).errorCode).toBe(0);
      expect((await c.request(Heartbeat, v(i, 4), { groupId: group, generationId: 2, memberId, groupInstanceId: null })).errorCode).toBe(
        ErrorCode.ILLEGAL_GENERATION,
      );

      const cv = v(i, 9);
      const commit = await c.request(OffsetCommit, cv, {
        groupId: group,
        generationIdOrMemberEpoch: cv >= 1 ? 1 : -1,
        memberId: cv >= 1 ? memberId : '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 'pv',
            partitions: [
              { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: 'meta' },
              { partitionIndex: 7, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null },
            ],
          },
        ],
      });
      // v0 carries no generation: a groupless commit into an active group is refused, as Kafka does.
      const expectedCommit = cv === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : 0;
      expect(commit.topics[0]!.partitions).toEqual([
        { partitionIndex: 0, errorCode: expectedCommit },
        { partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      ]);

      const fv = v(i, 9);
      const fetchReq = {
        groupId: group,
        topics: [{ name: 'pv', partitionIndexes: [0, 1] }],
        groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: 'pv', partitionIndexes: [0, 1] }] }],
        requireStable: false,
      };
      const fetched = await c.request(OffsetFetch, fv, fetchReq);
      const parts = fv >= 8 ? fetched.groups[0]!.topics[0]!.partitions : fetched.topics[0]!.partitions;
      expect(parts.map((p) => [p.partitionIndex, p.committedOffset])).toEqual(cv === 0 ? [[0, -1n], [1, -1n]] : [[0, 42n], [1, -1n]]);
      if (cv > 0) {
        expect(parts[0]!.metadata).toBe('meta');
        expect(parts[0]!.committedLeaderEpoch).toBe(fv >= 5 && cv >= 6 ? 3 : -1);
      }

      const described = await c.request(DescribeGroups, v(i, 5), { groups: [group], includeAuthorizedOperations: false });
      expect(described.groups[0]).toMatchObject({ errorCode: 0, groupId: group, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect([...described.groups[0]!.members[0]!.memberAssignment]).toEqual([9, 8, 7]);

      const lv = v(i, 5);
      const listed = await c.request(ListGroups, lv, { statesFilter: lv >= 4 ? ['Stable'] : [], typesFilter: lv >= 5 ? ['classic'] : [] });
      const mine = listed.groups.find((g) => g.groupId === group);
      expect(mine?.protocolType).toBe('consumer');
      if (lv >= 4) expect(mine?.groupState).toBe('Stable');

      const leaveV = v(i, 5);
      const left = await c.request(LeaveGroup, leaveV, { groupId: group, memberId, members: [{ memberId, groupInstanceId: null, reason: 'done' }] });
      expect(left.errorCode).toBe(0);
      if (leaveV >= 3) expect(left.members).toEqual([{ memberId, groupInstanceId: null, errorCode: 0 }]);

      const dv = v(i, 2);
      const deleted = await c.request(DeleteGroups, dv, { groupsNames: [group, `${group}-missing`] });
      expect(deleted.results).toEqual([
        // A group without offsets is forgotten as soon as it empties.
        { groupId: group, errorCode: cv === 0 ? ErrorCode.GROUP_ID_NOT_FOUND : 0 },
        { groupId: `${group}-missing`, errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      ]);
    });
  }
});

describe('batched and static forms', () => {
  it('FindCoordinator v4+ answers every key; an unknown key type is an error', async () => {
    const res = await c.request(FindCoordinator, 6, { key: '', keyType: 0, coordinatorKeys: ['a', 'b', ''] });
    expect(res.coordinators.map((x) => [x.key, x.errorCode])).toEqual([
      ['a', 0],
      ['b', 0],
      ['', ErrorCode.INVALID_GROUP_ID],
    ]);
    const txn = await c.request(FindCoordinator, 3, { key: 'tx', keyType: 1, coordinatorKeys: [] });
    expect(txn).toMatchObject({ errorCode: 0, nodeId: 0 });
    const bad = await c.request(FindCoordinator, 2, { key: 'x', keyType: 7, coordinatorKeys: [] });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('OffsetFetch v8 reads several groups at once and every offset of a group with null topics', async () => {
    for (const g of ['multi-a', 'multi-b']) {
      const res = await c.request(OffsetCommit, 8, {
        groupId: g,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: 'pv', partitions: [{ partitionIndex: 1, committedOffset: g === 'multi-a' ? 5n : 6n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
      });
      expect(res.topics[0]!.partitions[0]!.errorCode).toBe(0);
    }
    const res = await c.request(OffsetFetch, 8, {
      groupId: '',
      topics: [],
      groups: [
        { groupId: 'multi-a', memberId: null, memberEpoch: -1, topics: null },
        { groupId: 'multi-b', memberId: null, memberEpoch: -1, topics: [{ name: 'pv', partitionIndexes: [1] }] },
      ],
      requireStable: false,
    });
    expect(res.groups.map((g) => [g.groupId, g.topics[0]!.partitions[0]!.committedOffset])).toEqual([
      ['multi-a', 5n],
      ['multi-b', 6n],
    ]);
  });

  it('static members rejoin without a rebalance; the old id is fenced; LeaveGroup v3 by instance id', async () => {
    const group = 'static';
    const first = await c.request(JoinGroup, 5, joinRequest(group, '', { groupInstanceId: 'inst-1' }));
    expect(first.errorCode).toBe(0);
    await c.request(SyncGroup, 3, { groupId: group, generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'inst-1', protocolType: null, protocolName: null, assignments: [{ memberId: first.memberId, assignment: Buffer.from('x') }] });
    const again = await c.request(JoinGroup, 9, joinRequest(group, '', { groupInstanceId: 'inst-1' }));
    expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId, skipAssignment: true });
    const fenced = await c.request(Heartbeat, 3, { groupId: group, generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'inst-1' });
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const left = await c.request(LeaveGroup, 5, { groupId: group, memberId: '', members: [{ memberId: '', groupInstanceId: 'inst-1', reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }] });
    expect(left.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
  });

  it('keeps protocol bytes untouched for the leader and returns assignments byte for byte', async () => {
    const group = 'bytes';
    const meta = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    const first = await c.request(JoinGroup, 6, joinRequest(group, '', { protocols: [{ name: 'cooperative-sticky', metadata: meta }] }));
    const joined = await c.request(JoinGroup, 6, joinRequest(group, first.memberId, { protocols: [{ name: 'cooperative-sticky', metadata: meta }] }));
    expect(joined.members[0]!.metadata.equals(meta)).toBe(true);
    const assignment = Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 13) & 0xff));
    const sync = await c.request(SyncGroup, 4, { groupId: group, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: joined.memberId, assignment }] });
    expect(sync.assignment.equals(assignment)).toBe(true);
  });

  it('forgets committed offsets of a deleted topic', async () => {
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 1 }], waitForLeaders: true });
      await admin.setOffsets({ groupId: 'doomed-g', topic: 'doomed', partitions: [{ partition: 0, offset: '3' }] });
      expect((await admin.fetchOffsets({ groupId: 'doomed-g', topics: ['doomed'] }))[0]!.partitions[0]!.offset).toBe('3');
      await admin.deleteTopics({ topics: ['doomed'] });
      const all = await c.request(OffsetFetch, 7, { groupId: 'doomed-g', topics: null, groups: [], requireStable: false });
      expect(all.topics).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
