/**
 * The KIP-848 server-side assignors as properties: every partition of a subscribed topic goes to exactly one
 * member that subscribes to it; `uniform` with one shared subscription is balanced within one partition and
 * keeps a surviving member's partitions when another member leaves; `range` gives contiguous ranges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rangeAssignor, uniformAssignor, type AssignableTopic, type AssignorMember, type TargetAssignment } from '../../../src/broker/groups/consumer-protocol/assignors.js';

const topicsArb = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), partitions: fc.integer({ min: 0, max: 12 }) }), { selector: (t) => t.name, minLength: 1 });

function setup(topics: { name: string; partitions: number }[], subs: number[][]): { members: AssignorMember[]; map: Map<string, AssignableTopic> } {
  const map = new Map(topics.map((t) => [t.name, { id: `id-${t.name}`, ...t }]));
  const members = subs.map((s, i) => ({ memberId: `m${i}`, topics: new Set(s.map((k) => topics[k % topics.length]!.name)), previous: new Map() }));
  return { members, map };
}

function checkExclusiveAndComplete(target: TargetAssignment, members: AssignorMember[], topics: Map<string, AssignableTopic>): void {
  const owner = new Map<string, string>();
  for (const [memberId, byTopic] of target) {
    const m = members.find((x) => x.memberId === memberId)!;
    for (const [topicId, parts] of byTopic) {
      const topic = [...topics.values()].find((t) => t.id === topicId)!;
      expect(m.topics.has(topic.name)).toBe(true);
      for (const p of parts) {
        expect(owner.has(`${topicId}:${p}`)).toBe(false);
        expect(p).toBeLessThan(topic.partitions);
        owner.set(`${topicId}:${p}`, memberId);
      }
    }
  }
  for (const t of topics.values()) {
    if (!members.some((m) => m.topics.has(t.name))) continue;
    for (let p = 0; p < t.partitions; p++) expect(owner.has(`${t.id}:${p}`)).toBe(true);
  }
}

describe('KIP-848 assignors', () => {
  for (const [name, assignor] of [['uniform', uniformAssignor], ['range', rangeAssignor]] as const) {
    it(`${name}: each subscribed partition goes to exactly one subscribed member`, () => {
      fc.assert(
        fc.property(topicsArb, fc.array(fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }), (topics, subs) => {
          const { members, map } = setup(topics, subs);
          checkExclusiveAndComplete(assignor(members, map), members, map);
        }),
      );
    });
  }

  it('uniform: one shared subscription is balanced within one, and sticky when a member leaves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 2, max: 7 }), (partitions, n) => {
        const { members, map } = setup([{ name: 'a', partitions }], Array.from({ length: n }, () => [0]));
        const first = uniformAssignor(members, map);
        const counts = [...first.values()].map((t) => t.get('id-a')?.size ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        // m0 leaves: everyone else keeps what they had.
        const rest = members.slice(1).map((m) => ({ ...m, previous: first.get(m.memberId)! }));
        const second = uniformAssignor(rest, map);
        for (const m of rest) for (const p of first.get(m.memberId)!.get('id-a') ?? []) expect(second.get(m.memberId)!.get('id-a')!.has(p)).toBe(true);
      }),
    );
  });

  it('range: contiguous ranges by member id, the first members taking the remainder', () => {
    const { members, map } = setup([{ name: 'a', partitions: 7 }], [[0], [0], [0]]);
    const t = rangeAssignor(members, map);
    expect([...t.get('m0')!.get('id-a')!]).toEqual([0, 1, 2]);
    expect([...t.get('m1')!.get('id-a')!]).toEqual([3, 4]);
    expect([...t.get('m2')!.get('id-a')!]).toEqual([5, 6]);
  });
});
