/**
 * `/api/groups` and `/api/groups/{id}`: each consumer group's state, members with their assignment, and per
 * partition its committed offset, the high watermark and the lag (high watermark − committed offset). All of
 * it is in-memory state of the group coordinator and the logs; no file I/O.
 */
import type { BrokerContext } from '../../context.js';
import type { GroupCoordinator } from '../../groups/coordinator.js';
import '../../groups/service.js';
import { ApiError, intParam, offsetNumber } from './api-error.js';
import { decodeAssignment, decodeSubscription, type TopicPartitions } from './consumer-protocol.js';
import { ALL_VISIBLE_VIEWER, type Viewer } from './visibility.js';

export interface GroupMemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Subscribed topics (consumer groups; null when the metadata is not the consumer protocol's). */
  subscription: string[] | null;
  /** Assigned partitions by topic (null when the assignment is not the consumer protocol's). */
  assignment: TopicPartitions[] | null;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null: nothing committed for this partition. */
  committedOffset: number | null;
  /** null: the topic or partition no longer exists. */
  highWatermark: number | null;
  logStartOffset: number | null;
  /** highWatermark − committedOffset (records the group has yet to consume); null when either is unknown. */
  lag: number | null;
  /** The member the partition is assigned to, when the group is stable. */
  memberId: string | null;
  metadata: string | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  protocolType: string;
  protocolName: string;
  generationId: number;
  leaderId: string | null;
  /** When the group entered its state (ms since the epoch). */
  stateSince: number;
  members: GroupMemberView[];
  /** Sum of the known lags. */
  totalLag: number;
  partitions: PartitionLag[];
}

function coordinator(broker: BrokerContext): GroupCoordinator {
  const groups = broker.services.groups;
  if (!groups) throw new ApiError(503, 'the group coordinator is not running');
  return groups;
}

export function describeGroup(broker: BrokerContext, groupId: string, partitionLimit: number, who: Viewer = ALL_VISIBLE_VIEWER): GroupView | undefined {
  const groups = coordinator(broker);
  const group = groups.group(groupId);
  if (!group) return undefined;
  const description = groups.describe(groupId);
  const consumer = description.protocolType === 'consumer';
  const owner = new Map<string, string>();
  const members = description.members.map((m): GroupMemberView => {
    // Topics the caller may not describe are left out of assignments and offsets, as OffsetFetch does.
    const assignment = consumer ? (decodeAssignment(m.assignment)?.filter((tp) => who.sees('topic', tp.topic)) ?? null) : null;
    for (const tp of assignment ?? []) for (const p of tp.partitions) owner.set(`${tp.topic}\u0000${p}`, m.memberId);
    return {
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscription: consumer ? (decodeSubscription(m.metadata) ?? null) : null,
      assignment,
    };
  });

  const rows = new Map<string, PartitionLag>();
  const row = (topic: string, partition: number): PartitionLag => {
    const key = `${topic}\u0000${partition}`;
    let r = rows.get(key);
    if (!r) {
      const log = broker.logs.partition(topic, partition);
      r = {
        topic,
        partition,
        committedOffset: null,
        highWatermark: log ? offsetNumber(log.highWatermark) : null,
        logStartOffset: log ? offsetNumber(log.logStartOffset) : null,
        lag: null,
        memberId: owner.get(key) ?? null,
        metadata: null,
      };
      rows.set(key, r);
    }
    return r;
  };
  for (const topic of groups.fetchOffsets(groupId, null)) {
    if (!who.sees('topic', topic.name)) continue;
    for (const p of topic.partitions) {
      if (p.offset < 0n) continue;
      const r = row(topic.name, p.partition);
      r.committedOffset = offsetNumber(p.offset);
      r.metadata = p.metadata;
    }
  }
  // Assigned partitions the group has not committed yet are shown too: their lag is unknown, not zero.
  for (const key of owner.keys()) {
    const [topic, partition] = key.split('\u0000') as [string, string];
    row(topic, Number(partition));
  }
  let totalLag = 0;
  for (const r of rows.values()) {
    if (r.committedOffset !== null && r.highWatermark !== null) {
      r.lag = Math.max(0, r.highWatermark - r.committedOffset);
      totalLag += r.lag;
    }
  }
  const partitions = [...rows.values()]
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .slice(0, partitionLimit);
  return {
    groupId,
    state: description.state,
    protocolType: description.protocolType,
    protocolName: description.protocolName,
    generationId: group.generationId,
    leaderId: group.leaderId,
    stateSince: group.stateTimestamp,
    members,
    totalLag,
    partitions,
  };
}

/** GET /api/groups?limit=&partitionLimit= */
export function listGroups(broker: BrokerContext, url: URL, who: Viewer = ALL_VISIBLE_VIEWER): { total: number; groups: GroupView[] } {
  const limit = intParam(url, 'limit', 200, 1, 10_000);
  const partitionLimit = intParam(url, 'partitionLimit', 1_000, 0, 100_000);
  const ids = coordinator(broker)
    .list()
    .map((g) => g.groupId)
    .filter((id) => who.sees('group', id))
    .sort();
  const views: GroupView[] = [];
  for (const id of ids.slice(0, limit)) {
    const view = describeGroup(broker, id, partitionLimit, who);
    if (view) views.push(view);
  }
  return { total: ids.length, groups: views };
}

/** GET /api/groups/{id}?partitionLimit= */
export function getGroup(broker: BrokerContext, groupId: string, url: URL, who: Viewer = ALL_VISIBLE_VIEWER): GroupView {
  who.require('group', groupId);
  const partitionLimit = intParam(url, 'partitionLimit', 10_000, 0, 100_000);
  const view = describeGroup(broker, groupId, partitionLimit, who);
  if (!view) throw new ApiError(404, `no group named ${JSON.stringify(groupId)}`);
  return view;
}
