/**
 * KIP-848 server-side assignors: `uniform` (Kafka's default: balanced and sticky) and `range` (per topic,
 * contiguous ranges over the members subscribed to it, ordered by member id). Pure functions: the group
 * calls one whenever its epoch moves past the target assignment's epoch.
 */

/** A subscribed topic as the assignor sees it. */
export interface AssignableTopic {
  id: string;
  name: string;
  partitions: number;
}

export interface AssignorMember {
  memberId: string;
  /** Names of the topics this member subscribes to (already resolved from names or regex). */
  topics: ReadonlySet<string>;
  /** The member's previous target, topicId → partitions (used for stickiness). */
  previous: ReadonlyMap<string, ReadonlySet<number>>;
}

/** memberId → topicId → partitions */
export type TargetAssignment = Map<string, Map<string, Set<number>>>;

export type Assignor = (members: readonly AssignorMember[], topics: ReadonlyMap<string, AssignableTopic>) => TargetAssignment;

export const ASSIGNOR_NAMES = ['uniform', 'range'] as const;
export type AssignorName = (typeof ASSIGNOR_NAMES)[number];
/** Kafka's group.consumer.assignors default order: the first is used when a member names none. */
export const DEFAULT_ASSIGNOR: AssignorName = 'uniform';

function emptyTarget(members: readonly AssignorMember[]): TargetAssignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, Set<number>>()]));
}

function add(target: TargetAssignment, memberId: string, topicId: string, partition: number): void {
  const byTopic = target.get(memberId)!;
  let set = byTopic.get(topicId);
  if (!set) byTopic.set(topicId, (set = new Set()));
  set.add(partition);
}

/** Per topic, the members subscribed to it (by member id) share its partitions in contiguous ranges. */
export const rangeAssignor: Assignor = (members, topics) => {
  const target = emptyTarget(members);
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  for (const topic of topics.values()) {
    const subscribers = sorted.filter((m) => m.topics.has(topic.name));
    if (subscribers.length === 0) continue;
    const base = Math.floor(topic.partitions / subscribers.length);
    const extra = topic.partitions % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const count = base + (i < extra ? 1 : 0);
      for (let k = 0; k < count; k++) add(target, m.memberId, topic.id, next++);
    });
  }
  return target;
};

/**
 * Balanced and sticky: each member first keeps what it had (up to its fair share of the partitions it can
 * take), then every unassigned partition goes to the least-loaded member subscribed to its topic.
 */
export const uniformAssignor: Assignor = (members, topics) => {
  const target = emptyTarget(members);
  const load = new Map(members.map((m) => [m.memberId, 0]));
  const all: { topic: AssignableTopic; partition: number }[] = [];
  for (const topic of [...topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!members.some((m) => m.topics.has(topic.name))) continue;
    for (let p = 0; p < topic.partitions; p++) all.push({ topic, partition: p });
  }
  const quota = members.length === 0 ? 0 : Math.ceil(all.length / members.length);
  const taken = new Set<string>();
  for (const m of members) {
    for (const [topicId, parts] of m.previous) {
      const topic = [...topics.values()].find((t) => t.id === topicId);
      if (!topic || !m.topics.has(topic.name)) continue;
      for (const p of [...parts].sort((a, b) => a - b)) {
        const key = `${topicId}:${p}`;
        if (p >= topic.partitions || taken.has(key) || load.get(m.memberId)! >= quota) continue;
        taken.add(key);
        add(target, m.memberId, topicId, p);
        load.set(m.memberId, load.get(m.memberId)! + 1);
      }
    }
  }
  for (const { topic, partition } of all) {
    if (taken.has(`${topic.id}:${partition}`)) continue;
    let best: AssignorMember | undefined;
    for (const m of members) {
      if (!m.topics.has(topic.name)) continue;
      if (!best || load.get(m.memberId)! < load.get(best.memberId)!) best = m;
    }
    if (!best) continue;
    add(target, best.memberId, topic.id, partition);
    load.set(best.memberId, load.get(best.memberId)! + 1);
  }
  return target;
};

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = { uniform: uniformAssignor, range: rangeAssignor };
