/**
 * KIP-848 group state across broker restarts, over raw TCP: after a clean stop, and after kill -9 of a
 * broker child process, members that heartbeat with their id and epoch keep their assignment (no new group
 * epoch), a new member continues the group epoch, a static member is recognised by its instance id, a
 * member that never returns is removed a session timeout after the load, and a torn tail of the log
 * does not prevent start-up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ConsumerGroupHeartbeat, createConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { CreateTopics } from '../../../src/protocol/messages/create-topics.js';
import { Metadata } from '../../../src/protocol/messages/metadata.js';
import { OffsetCommit } from '../../../src/protocol/messages/offset-commit.js';
import { CONSUMER_GROUPS_FILE } from '../../../src/broker/groups/consumer-protocol/group-store.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { RawClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';
import { waitFor } from './group-helpers.js';

const SESSION_MS = 2_000;
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dataDir: string): Promise<{ broker: TestBroker; c: RawClient }> {
  const broker = await startTestBroker({ dataDir, groupConsumerSessionTimeoutMs: SESSION_MS, groupConsumerHeartbeatIntervalMs: 200 } as never);
  const c = await RawClient.connect(broker);
  cleanups.push(() => c.close(), () => broker.close().catch(() => undefined));
  return { broker, c };
}

function hb(c: RawClient, fields: Partial<ConsumerGroupHeartbeatRequest>): Promise<ConsumerGroupHeartbeatResponse> {
  return c.request(ConsumerGroupHeartbeat, 1, createConsumerGroupHeartbeatRequest({ rebalanceTimeoutMs: 30_000, ...fields }));
}

async function createTopic(c: RawClient, name: string, partitions: number): Promise<string> {
  await c.request(CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5_000, validateOnly: false } as never);
  const md = await c.request(Metadata, 12, { topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false } as never);
  return md.topics[0]!.topicId;
}

const parts = (r: ConsumerGroupHeartbeatResponse) => (r.assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b);

/** Two members that have reconciled a 4-partition topic: a holds 2, b holds 2, both at epoch 2. */
async function stableGroup(c: RawClient, group: string, topicId: string, instanceB: string | null = null) {
  const a = await hb(c, { groupId: group, memberEpoch: 0, subscribedTopicNames: ['t'], topicPartitions: [], serverAssignor: 'range' });
  const b = await hb(c, { groupId: group, memberEpoch: 0, instanceId: instanceB, subscribedTopicNames: ['t'], topicPartitions: [] });
  const a2 = await hb(c, { groupId: group, memberId: a.memberId!, memberEpoch: 1, topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }] });
  const a3 = await hb(c, { groupId: group, memberId: a.memberId!, memberEpoch: 1, topicPartitions: a2.assignment!.topicPartitions });
  const b2 = await hb(c, { groupId: group, memberId: b.memberId!, memberEpoch: 2, topicPartitions: [] });
  expect([a3.memberEpoch, b2.memberEpoch]).toEqual([2, 2]);
  expect([...parts(a3), ...parts(b2)].sort()).toEqual([0, 1, 2, 3]);
  return { a: { id: a.memberId!, parts: parts(a3) }, b: { id: b.memberId!, parts: parts(b2) } };
}

describe('KIP-848 state across a restart', () => {
  it('after a clean stop members keep epoch and partitions, the group epoch continues, and offsets commit at the old epoch', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const topicId = await createTopic(first.c, 't', 4);
    const { a, b } = await stableGroup(first.c, 'g', topicId);
    first.c.close();
    await first.broker.close();

    const { broker, c } = await start(dir);
    const group = broker.context.services.groups!.consumerGroups.group('g')!;
    expect(group.groupEpoch).toBe(2);
    expect(group.state).toBe('Stable');
    const ra = await hb(c, { groupId: 'g', memberId: a.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: a.parts }] });
    const rb = await hb(c, { groupId: 'g', memberId: b.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: b.parts }] });
    expect([ra.errorCode, ra.memberEpoch, parts(ra)]).toEqual([0, 2, a.parts]);
    expect([rb.errorCode, rb.memberEpoch, parts(rb)]).toEqual([0, 2, b.parts]);
    expect(group.groupEpoch).toBe(2); // no spurious rebalance
    // A stale epoch is still fenced, as before the restart.
    expect((await hb(c, { groupId: 'g', memberId: a.id, memberEpoch: 1, topicPartitions: [{ topicId, partitions: [0, 1, 2, 3] }] })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    // Offsets commit with the epoch from before the restart.
    const commit = await c.request(OffsetCommit, 9, {
      groupId: 'g', generationIdOrMemberEpoch: 2, memberId: a.id, groupInstanceId: null, retentionTimeMs: -1,
      topics: [{ name: 't', partitions: a.parts.map((p) => ({ partitionIndex: p, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })) }],
    } as never);
    expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual(a.parts.map(() => 0));
    // A third member continues the group epoch (3), not a fresh one.
    const third = await hb(c, { groupId: 'g', memberEpoch: 0, subscribedTopicNames: ['t'], topicPartitions: [] });
    expect(third.memberEpoch).toBe(3);
  });

  it('a static member is recognised after a restart: it rejoins by instance id with its partitions', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const topicId = await createTopic(first.c, 't', 4);
    const { b } = await stableGroup(first.c, 's', topicId, 'inst-b');
    // The static member leaves with -2 (a rolling restart of the consumer) just before the broker stops.
    expect((await hb(first.c, { groupId: 's', memberId: b.id, memberEpoch: -2, instanceId: 'inst-b' })).errorCode).toBe(0);
    first.c.close();
    await first.broker.close();

    const { c } = await start(dir);
    // The same instance id with another member id is refused while the old one holds it...
    const back = await hb(c, { groupId: 's', memberEpoch: 0, instanceId: 'inst-b', subscribedTopicNames: ['t'], topicPartitions: [] });
    expect(back.errorCode).toBe(0);
    expect(back.memberEpoch).toBe(2);
    expect(parts(back)).toEqual(b.parts);
    // ...and a second claimant of the instance id, now in use again, is refused.
    const dup = await hb(c, { groupId: 's', memberEpoch: 0, instanceId: 'inst-b', subscribedTopicNames: ['t'], topicPartitions: [] });
    expect(dup.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
  });

  it('the session timeout restarts at the load: a member that never returns is removed, and its partitions move', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const topicId = await createTopic(first.c, 't', 4);
    const { a, b } = await stableGroup(first.c, 'x', topicId);
    first.c.close();
    await first.broker.close();
    // Down for longer than a session: the members must not be expired the moment the broker loads.
    await new Promise((r) => setTimeout(r, SESSION_MS + 200));

    const loadedAt = Date.now();
    const { broker, c } = await start(dir);
    const group = broker.context.services.groups!.consumerGroups.group('x')!;
    const ra = await hb(c, { groupId: 'x', memberId: a.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: a.parts }] });
    expect([ra.errorCode, parts(ra)]).toEqual([0, a.parts]);
    expect(group.members.has(b.id)).toBe(true);
    // Only a heartbeats from now on; b is removed a session timeout after the load, and a gets everything.
    let last = ra;
    await waitFor(async () => {
      last = await hb(c, { groupId: 'x', memberId: a.id, memberEpoch: last.memberEpoch, topicPartitions: last.assignment!.topicPartitions });
      return parts(last).length === 4;
    }, SESSION_MS + 15_000, 'a to own all four partitions after b expired');
    expect(Date.now() - loadedAt).toBeGreaterThanOrEqual(SESSION_MS - 100);
    expect(group.members.has(b.id)).toBe(false);
    expect(last.memberEpoch).toBe(3);
  });

  it('starts with a torn tail of the log: the intact records load, the torn one is dropped', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const topicId = await createTopic(first.c, 't', 4);
    const { a } = await stableGroup(first.c, 'torn', topicId);
    first.c.close();
    await first.broker.close();
    const file = path.join(dir, CONSUMER_GROUPS_FILE);
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(0);
    // Append half of a frame, as a crash in the middle of a write leaves it.
    fs.appendFileSync(file, Buffer.from([0, 0, 0, 200, 1, 2, 3, 4, 5, 6]));

    const { c } = await start(dir);
    expect(fs.statSync(file).size).toBeLessThanOrEqual(size); // torn bytes gone (and the log compacted)
    const ra = await hb(c, { groupId: 'torn', memberId: a.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: a.parts }] });
    expect([ra.errorCode, ra.memberEpoch, parts(ra)]).toEqual([0, 2, a.parts]);
  });

  it('a log cut anywhere still starts, and every member it still knows keeps a consistent state', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const first = await start(dir);
    const topicId = await createTopic(first.c, 't', 4);
    await stableGroup(first.c, 'cut', topicId);
    first.c.close();
    await first.broker.close();
    const file = path.join(dir, CONSUMER_GROUPS_FILE);
    const whole = fs.readFileSync(file);
    for (const cut of [1, 9, Math.floor(whole.length / 3), Math.floor(whole.length / 2), whole.length - 1]) {
      fs.writeFileSync(file, whole.subarray(0, cut));
      const { broker, c } = await start(dir);
      const group = broker.context.services.groups!.consumerGroups.group('cut');
      for (const m of group?.members.values() ?? []) expect(m.epoch).toBeLessThanOrEqual(group!.groupEpoch);
      // The broker serves: a new member can join.
      expect((await hb(c, { groupId: 'cut', memberEpoch: 0, subscribedTopicNames: ['t'], topicPartitions: [] })).errorCode).toBe(0);
      c.close();
      await broker.close();
    }
  });
});

describe('KIP-848 state across kill -9 of the broker', () => {
  let child: ChildBroker | undefined;
  afterEach(() => {
    child?.child.kill('SIGKILL');
  });

  it('members keep their epochs and partitions after SIGKILL and a restart on the same dir', async () => {
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const args = ['--data-dir', dir, '--group-consumer-session-timeout-ms', String(10_000)];
    child = await startChildBroker(args);
    let c = await RawClient.connect(child);
    const topicId = await createTopic(c, 't', 4);
    const { a, b } = await stableGroup(c, 'k9', topicId);
    c.close();
    child.child.kill('SIGKILL');
    await child.exited;

    child = await startChildBroker(args);
    c = await RawClient.connect(child);
    cleanups.push(() => c.close());
    const ra = await hb(c, { groupId: 'k9', memberId: a.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: a.parts }] });
    const rb = await hb(c, { groupId: 'k9', memberId: b.id, memberEpoch: 2, topicPartitions: [{ topicId, partitions: b.parts }] });
    expect([ra.errorCode, ra.memberEpoch, parts(ra)]).toEqual([0, 2, a.parts]);
    expect([rb.errorCode, rb.memberEpoch, parts(rb)]).toEqual([0, 2, b.parts]);
    const third = await hb(c, { groupId: 'k9', memberEpoch: 0, subscribedTopicNames: ['t'], topicPartitions: [] });
    expect(third.memberEpoch).toBe(3);
  }, 60_000);
});
