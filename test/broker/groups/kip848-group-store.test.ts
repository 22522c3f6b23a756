/**
 * The KIP-848 group store on its own: a round trip of every persisted field, only changed records are
 * written (a steady heartbeat writes nothing), tombstones, and the log stays bounded under churn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumerGroup, ConsumerMember } from '../../../src/broker/groups/consumer-protocol/consumer-group.js';
import { CONSUMER_GROUPS_FILE, ConsumerGroupStore } from '../../../src/broker/groups/consumer-protocol/group-store.js';
import { tempDir } from '../helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function sampleGroup(): { group: ConsumerGroup; a: ConsumerMember; b: ConsumerMember } {
  const group = new ConsumerGroup('g');
  group.groupEpoch = 7;
  group.assignmentEpoch = 6;
  group.assignorName = 'range';
  group.metadataKey = 'id1:4';
  const a = new ConsumerMember('m-a', null, 'client-a', '/10.0.0.1');
  a.epoch = 6;
  a.previousEpoch = 5;
  a.subscribedTopicNames = ['t'];
  a.rackId = 'r1';
  a.serverAssignor = 'range';
  a.rebalanceTimeoutMs = 12_345;
  a.assigned = new Map([['id1', new Set([0, 1])]]);
  a.revoking = new Map([['id1', new Set([3])]]);
  const b = new ConsumerMember('m-b', 'inst-b', 'client-b', '/10.0.0.2');
  b.epoch = 5;
  b.subscribedTopicRegex = '^t.*';
  b.staticLeft = true;
  b.assigned = new Map([['id1', new Set([2])]]);
  group.members.set(a.memberId, a);
  group.members.set(b.memberId, b);
  group.staticMembers.set('inst-b', 'm-b');
  group.target.set('m-a', new Map([['id1', new Set([0, 1])]]));
  group.target.set('m-b', new Map([['id1', new Set([2, 3])]]));
  return { group, a, b };
}

describe('ConsumerGroupStore', () => {
  it('round-trips epochs, members, subscriptions, assignments and targets', async () => {
    const d = dir();
    const { store } = ConsumerGroupStore.open(d);
    const { group, a, b } = sampleGroup();
    store.save(group, [a, b]);
    await store.close();

    const { groups, truncatedBytes, skippedRecords, store: again } = ConsumerGroupStore.open(d);
    await again.close();
    expect([truncatedBytes, skippedRecords]).toEqual([0, 0]);
    expect(groups).toHaveLength(1);
    const g = groups[0]!;
    // A complete group loads at its own epochs (no spurious bump).
    expect([g.groupId, g.groupEpoch, g.assignmentEpoch, g.assignorName, g.metadataKey, g.emptiedAt]).toEqual(['g', 7, 6, 'range', 'id1:4', null]);
    expect(g.target).toEqual(group.target);
    expect(g.staticMembers).toEqual(new Map([['inst-b', 'm-b']]));
    const ra = g.members.get('m-a')!;
    expect([ra.epoch, ra.previousEpoch, ra.rackId, ra.serverAssignor, ra.rebalanceTimeoutMs, ra.clientId, ra.clientHost]).toEqual([6, 5, 'r1', 'range', 12_345, 'client-a', '/10.0.0.1']);
    expect([ra.assigned, ra.revoking, ra.subscribedTopicNames]).toEqual([a.assigned, a.revoking, ['t']]);
    const rb = g.members.get('m-b')!;
    expect([rb.instanceId, rb.staticLeft, rb.subscribedTopicRegex, rb.regex?.test('tx'), rb.assigned]).toEqual(['inst-b', true, '^t.*', true, b.assigned]);
  });

  it('a member whose target record was lost (a torn tail) makes the load move the group epoch on, so the target is recomputed', async () => {
    const d = dir();
    const { store } = ConsumerGroupStore.open(d);
    const { group, a, b } = sampleGroup();
    group.target.delete('m-b');
    store.save(group, [a, b]);
    await store.close();
    const { groups, store: again } = ConsumerGroupStore.open(d);
    await again.close();
    // 7 was the group epoch; the assignment (epoch 6) is now behind it and is recomputed at the next heartbeat.
    expect([groups[0]!.groupEpoch, groups[0]!.assignmentEpoch]).toEqual([8, 6]);
  });

  it('writes only what changed: saving an unchanged group appends nothing', async () => {
    const d = dir();
    const { store } = ConsumerGroupStore.open(d);
    const { group, a, b } = sampleGroup();
    store.save(group, [a, b]);
    await store.written();
    const size = store.sizeBytes;
    for (let i = 0; i < 100; i++) store.save(group, [a, b]);
    await store.written();
    expect(store.sizeBytes).toBe(size);
    a.epoch = 7;
    store.save(group, [a]);
    await store.written();
    expect(store.sizeBytes).toBeGreaterThan(size);
    await store.close();
  });

  it('a removed member and a deleted group stay gone after a reload', async () => {
    const d = dir();
    const { store } = ConsumerGroupStore.open(d);
    const { group, a, b } = sampleGroup();
    store.save(group, [a, b]);
    const other = new ConsumerGroup('gone');
    other.groupEpoch = 1;
    store.save(other, []);
    group.members.delete('m-b');
    group.target.delete('m-b');
    store.removeMember('g', 'm-b');
    store.deleteGroup('gone');
    await store.close();
    const { groups, store: again } = ConsumerGroupStore.open(d);
    await again.close();
    expect(groups.map((g) => g.groupId)).toEqual(['g']);
    expect([...groups[0]!.members.keys()]).toEqual(['m-a']);
    expect([...groups[0]!.target.keys()]).toEqual(['m-a']);
  });

  it('stays bounded: churn that rewrites the same records compacts the log while running', async () => {
    const d = dir();
    const { store } = ConsumerGroupStore.open(d);
    const { group, a, b } = sampleGroup();
    let maxSize = 0;
    // ~200 bytes per save; 40,000 saves is ~8 MB of appends over a live set of well under 1 KB.
    for (let i = 0; i < 40_000; i++) {
      a.epoch = i;
      group.groupEpoch = i;
      store.save(group, [a, b]);
      if (i % 1000 === 0) {
        await store.written();
        maxSize = Math.max(maxSize, store.sizeBytes);
      }
    }
    await store.written();
    await store.compact(); // waits for any compaction queued by the last writes
    expect(maxSize).toBeLessThan(6 * 1024 * 1024);
    expect(fs.statSync(path.join(d, CONSUMER_GROUPS_FILE)).size).toBeLessThan(2048);
    await store.close();
    const { groups, store: again } = ConsumerGroupStore.open(d);
    await again.close();
    expect(groups[0]!.members.get('m-a')!.epoch).toBe(39_999);
  });
});
