import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator, type JoinParams } from '../../../src/broker/groups/coordinator.js';
import type { JoinResult } from '../../../src/broker/groups/group.js';
import { OffsetStore } from '../../../src/broker/groups/offset-store.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

const SESSION = 10_000;
const REBALANCE = 20_000;

let dir: string;
let store: OffsetStore;
let coord: GroupCoordinator;

function open(config: ConstructorParameters<typeof GroupCoordinator>[1] = {}): void {
  store = OffsetStore.open(dir).store;
  coord = new GroupCoordinator(store, config);
}

beforeEach(() => {
  vi.useFakeTimers();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
  open();
});

afterEach(() => {
  coord.close();
  store.close();
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

function params(over: Partial<JoinParams> = {}): JoinParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: SESSION,
    rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    clientId: 'c',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: false,
    ...over,
  };
}

/** Lets parked promises settle (they resolve synchronously, but `await` needs microtasks). */
async function settle<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => queueMicrotask(() => queueMicrotask(() => r('pending'))))]);
}

async function joinStable(over: Partial<JoinParams> = {}): Promise<JoinResult> {
  const r = await coord.join(params(over));
  expect(r.errorCode).toBe(0);
  const s = await coord.sync({
    groupId: 'g',
    generationId: r.generationId,
    memberId: r.memberId,
    groupInstanceId: over.groupInstanceId ?? null,
    protocolType: null,
    protocolName: null,
    assignments: r.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a-${m.memberId}`) })),
  });
  expect(s.errorCode).toBe(0);
  return r;
}

describe('join and sync', () => {
  it('asks a v4+ member for a known id first, then makes it leader of generation 1', async () => {
    const first = await coord.join(params({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^c-/);
    const r = await coord.join(params({ memberId: first.memberId, requireKnownMemberId: true }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
    expect(r.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: Buffer.from('m') }]);
    expect(coord.group('g')?.state).toBe('CompletingRebalance');
    const s = await coord.sync({
      groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: r.memberId, assignment: Buffer.from('all') }],
    });
    expect(s).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('all') });
    expect(coord.group('g')?.state).toBe('Stable');
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: r.memberId, groupInstanceId: null })).toBe(0);
  });

  it('forgets a member id handed out with MEMBER_ID_REQUIRED that never comes back', async () => {
    const first = await coord.join(params({ requireKnownMemberId: true }));
    expect(coord.group('g')?.pendingMembers.size).toBe(1);
    vi.advanceTimersByTime(SESSION + 1);
    expect(coord.group('g')).toBeUndefined();
    const again = await coord.join(params({ memberId: first.memberId }));
    expect(again.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rebalances when a second member joins; the leader gets every member and hands out assignments', async () => {
    const a = await joinStable();
    const bJoin = coord.join(params({ clientId: 'b', protocols: [{ name: 'range', metadata: Buffer.from('mb') }] }));
    expect(await settle(bJoin)).toBe('pending');
    expect(coord.group('g')?.state).toBe('PreparingRebalance');
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    const aJoin = await coord.join(params({ memberId: a.memberId }));
    const b = await bJoin;
    expect(aJoin.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(aJoin.leader).toBe(a.memberId);
    expect(aJoin.members.map((m) => m.metadata.toString())).toEqual(['m', 'mb']);
    expect(b.members).toEqual([]);

    const bSync = coord.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(await settle(bSync)).toBe('pending');
    const aSync = await coord.sync({
      groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('p0') },
        { memberId: b.memberId, assignment: Buffer.from('p1') },
      ],
    });
    expect(aSync.assignment.toString()).toBe('p0');
    expect((await bSync).assignment.toString()).toBe('p1');
    expect(coord.group('g')?.state).toBe('Stable');
  });

  it('returns the current generation to a follower rejoining with unchanged metadata, without a rebalance', async () => {
    const a = await joinStable();
    const bJoin = coord.join(params({ clientId: 'b' }));
    await coord.join(params({ memberId: a.memberId }));
    const b = await bJoin;
    await coord.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await coord.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    const again = await coord.join(params({ memberId: b.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 2 });
    expect(coord.group('g')?.state).toBe('Stable');
  });

  it('picks the protocol every member supports that most members prefer', async () => {
    const a = coord.join(params({ protocols: [{ name: 'range', metadata: Buffer.alloc(0) }, { name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    const ra = await a;
    expect(ra.protocolName).toBe('range');
    const b = coord.join(params({ clientId: 'b', protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    const ra2 = await coord.join(params({ memberId: ra.memberId, protocols: [{ name: 'range', metadata: Buffer.alloc(0) }, { name: 'roundrobin', metadata: Buffer.alloc(0) }] }));
    expect(ra2.protocolName).toBe('roundrobin');
    expect((await b).protocolName).toBe('roundrobin');
  });

  it('refuses a member with no protocol in common or another protocol type', async () => {
    await joinStable();
    expect((await coord.join(params({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await coord.join(params({ protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coord.join(params({ protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('validates session timeouts and group ids', async () => {
    expect((await coord.join(params({ sessionTimeoutMs: 10 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await coord.join(params({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await coord.join(params({ memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('answers stale and unknown members with ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID', async () => {
    const a = await joinStable();
    expect(coord.heartbeat({ groupId: 'g', generationId: 0, memberId: a.memberId, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: 'x', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coord.heartbeat({ groupId: 'nope', generationId: 1, memberId: 'x', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const s = await coord.sync({ groupId: 'g', generationId: 7, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const s2 = await coord.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: 'connect', protocolName: null, assignments: [] });
    expect(s2.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});

describe('timeouts', () => {
  it('expires a member that stops heartbeating and rebalances the rest', async () => {
    const a = await joinStable();
    const bJoin = coord.join(params({ clientId: 'b' }));
    await coord.join(params({ memberId: a.memberId }));
    const b = await bJoin;
    await coord.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await coord.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    // a keeps heartbeating, b goes silent.
    for (let t = 0; t < SESSION + 3000; t += 3000) {
      vi.advanceTimersByTime(3000);
      const err = coord.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null });
      if (err !== 0) {
        expect(err).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
        break;
      }
    }
    expect(coord.group('g')?.members.has(b.memberId)).toBe(false);
    const r = await coord.join(params({ memberId: a.memberId }));
    expect(r).toMatchObject({ generationId: 3, leader: a.memberId });
    expect(r.members).toHaveLength(1);
  });

  it('heartbeats keep a member alive well past its session timeout', async () => {
    const a = await joinStable();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(SESSION - 1000);
      expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(0);
    }
    expect(coord.group('g')?.state).toBe('Stable');
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const a = await joinStable();
    const b = await (async () => {
      const bJoin = coord.join(params({ clientId: 'b' }));
      await coord.join(params({ memberId: a.memberId }));
      return bJoin;
    })();
    await coord.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await coord.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    // A third member starts a rebalance; b rejoins, a keeps heartbeating but never rejoins.
    const cJoin = coord.join(params({ clientId: 'c3' }));
    const bJoin = coord.join(params({ memberId: b.memberId }));
    for (let t = 0; t < REBALANCE; t += 2000) {
      vi.advanceTimersByTime(2000);
      coord.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null });
    }
    const [c, b3] = await Promise.all([cJoin, bJoin]);
    expect(c.generationId).toBe(3);
    expect(b3.generationId).toBe(3);
    expect(coord.group('g')?.members.has(a.memberId)).toBe(false);
    // The old leader is gone, so the first remaining member leads.
    expect(b3.leader).toBe(b.memberId);
  });

  it('removes members that never send SyncGroup and rebalances', async () => {
    const first = await coord.join(params());
    expect(first.generationId).toBe(1);
    vi.advanceTimersByTime(REBALANCE + 1);
    const g = coord.group('g');
    expect(g === undefined || g.state === 'Empty').toBe(true);
  });

  it('keeps a rebalance open for the initial delay while new members keep arriving', async () => {
    coord.close();
    store.close();
    open({ config: { initialRebalanceDelayMs: 3000 } });
    const a = coord.join(params());
    vi.advanceTimersByTime(2000);
    const b = coord.join(params({ clientId: 'b' }));
    vi.advanceTimersByTime(2000);
    // At 3 s the delay saw a newcomer, so it waits another 3 s.
    expect(await settle(a)).toBe('pending');
    vi.advanceTimersByTime(2001);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.generationId).toBe(1);
    expect(rb.generationId).toBe(1);
    expect(ra.members.length + rb.members.length).toBe(2);
  });
});

describe('leave', () => {
  it('removes members (batched) and empties the group', async () => {
    const a = await joinStable();
    const res = coord.leave('g', [
      { memberId: a.memberId, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
    ]);
    expect(res.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(coord.group('g')).toBeUndefined(); // nothing committed, so nothing to keep
    expect(coord.leave('nope', [{ memberId: 'x', groupInstanceId: null }]).members[0]?.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('lets the remaining members finish the rebalance when one leaves during it', async () => {
    const a = await joinStable();
    const bJoin = coord.join(params({ clientId: 'b' }));
    expect(await settle(bJoin)).toBe('pending');
    coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    const b = await bJoin;
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leader: b.memberId });
  });
});

describe('static membership', () => {
  it('replaces a restarted static member without a rebalance and fences the old id', async () => {
    const a = await joinStable({ groupInstanceId: 'i-1' });
    expect(a.memberId).toMatch(/^i-1-/);
    const again = await coord.join(params({ groupInstanceId: 'i-1' }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true });
    expect(again.memberId).not.toBe(a.memberId);
    expect(coord.group('g')?.state).toBe('Stable');
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'i-1' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: again.memberId, groupInstanceId: 'i-1' })).toBe(0);
    const s = await coord.sync({ groupId: 'g', generationId: 1, memberId: again.memberId, groupInstanceId: 'i-1', protocolType: null, protocolName: null, assignments: [] });
    expect(s.assignment.toString()).toBe(`a-${a.memberId}`);
    expect(coord.leave('g', [{ memberId: a.memberId, groupInstanceId: 'i-1' }]).members[0]?.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(
      coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'i-1', offsets: [] }),
    ).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coord.join(params({ memberId: a.memberId, groupInstanceId: 'i-1' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coord.leave('g', [{ memberId: '', groupInstanceId: 'i-1' }]).members[0]?.errorCode).toBe(0);
  });
});

describe('offsets', () => {
  const offset = (o: bigint, p = 0) => ({ topic: 't', partition: p, offset: o, leaderEpoch: 3, metadata: 'md' });

  it('commits from the current generation and refuses stale, outside and mid-rebalance commits', async () => {
    const a = await joinStable();
    const ref = { groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null };
    expect(coord.commitOffsets({ ...ref, offsets: [offset(5n)] })).toBe(0);
    expect(coord.commitOffsets({ ...ref, generationId: 0, offsets: [offset(6n)] })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coord.commitOffsets({ ...ref, memberId: 'x', offsets: [offset(6n)] })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coord.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, offsets: [offset(6n)] })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect(coord.commitOffsets({ groupId: 'other', generationId: 3, memberId: 'm', groupInstanceId: null, offsets: [offset(6n)] })).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    // Prepare → complete a rebalance; in CompletingRebalance commits must wait.
    const bJoin = coord.join(params({ clientId: 'b' }));
    expect(coord.commitOffsets({ ...ref, offsets: [offset(7n)] })).toBe(0); // still allowed while preparing
    await coord.join(params({ memberId: a.memberId }));
    await bJoin;
    expect(coord.commitOffsets({ ...ref, generationId: 2, offsets: [offset(8n)] })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(coord.fetchOffsets('g', [{ name: 't', partitions: [0, 1] }])).toEqual([
      {
        name: 't',
        partitions: [
          { partition: 0, offset: 7n, leaderEpoch: 3, metadata: 'md', errorCode: 0 },
          { partition: 1, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
  });

  it('lets a consumer without a group commit, and keeps offsets across a restart', async () => {
    expect(coord.commitOffsets({ groupId: 'solo', generationId: -1, memberId: '', groupInstanceId: null, offsets: [offset(42n), offset(9n, 1)] })).toBe(0);
    coord.close();
    await store.close();
    open();
    expect(coord.fetchOffsets('solo', null)).toEqual([
      {
        name: 't',
        partitions: [
          { partition: 0, offset: 42n, leaderEpoch: 3, metadata: 'md', errorCode: 0 },
          { partition: 1, offset: 9n, leaderEpoch: 3, metadata: 'md', errorCode: 0 },
        ],
      },
    ]);
    expect(coord.list().map((g) => [g.groupId, g.state])).toEqual([['solo', 'Empty']]);
  });

  it('expires offsets of an empty group after the retention period, not before', async () => {
    coord.close();
    store.close();
    open({ config: { offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 } });
    const a = await joinStable();
    expect(coord.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, offsets: [offset(1n)] })).toBe(0);
    // While the member lives (heartbeating), nothing expires.
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(5_000);
      coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null });
    }
    expect(coord.fetchOffsets('g', null)).toHaveLength(1);
    coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    expect(coord.group('g')?.state).toBe('Empty');
    vi.advanceTimersByTime(40_000);
    expect(coord.fetchOffsets('g', null)).toHaveLength(1);
    vi.advanceTimersByTime(30_000);
    expect(coord.fetchOffsets('g', null)).toHaveLength(0);
    expect(coord.group('g')).toBeUndefined();
  });
});

describe('describe, list, delete', () => {
  it('describes members and assignments of a stable group and filters the list by state', async () => {
    const a = await joinStable();
    const d = coord.describe('g');
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolName: 'range' });
    expect(d.members[0]).toMatchObject({ memberId: a.memberId, clientId: 'c', clientHost: '/127.0.0.1' });
    expect(d.members[0]?.assignment.toString()).toBe(`a-${a.memberId}`);
    expect(coord.describe('nope').state).toBe('Dead');
    coord.commitOffsets({ groupId: 'idle', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }] });
    expect(coord.list(['stable']).map((g) => g.groupId)).toEqual(['g']);
    expect(coord.list(['Empty']).map((g) => g.groupId)).toEqual(['idle']);
    expect(coord.list([], ['consumer'])).toEqual([]);
    expect(coord.list([], ['Classic'])).toHaveLength(2);
  });

  it('deletes only empty groups, with their offsets', async () => {
    await joinStable();
    coord.commitOffsets({ groupId: 'idle', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }] });
    expect(coord.deleteGroups(['g', 'idle', 'nope'])).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'idle', errorCode: 0 },
      { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(coord.fetchOffsets('idle', null)).toEqual([]);
  });
});

describe('idle cost', () => {
  it('holds one timer per member and none per idle empty group', async () => {
    const before = vi.getTimerCount();
    for (let i = 0; i < 1000; i++) {
      const r = await coord.join(params({ groupId: `g${i}` }));
      await coord.sync({ groupId: `g${i}`, generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    }
    expect(vi.getTimerCount() - before).toBe(1000);
  });
});
