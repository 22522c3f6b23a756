/**
 * Per consumer group samples, read at scrape time from the group coordinator: state, members, and per
 * partition the committed offset and the lag (high watermark minus committed offset, as
 * kafka-consumer-groups reports it). Groups beyond the series bound are summed under group="__other__".
 */
import type { BrokerContext } from '../context.js';
import type { Sample } from './scrape-metric.js';
import { OTHER, SampleSums, type SeriesBound } from './series-bound.js';

const STATE = 'kafkaesque_group_state';
const MEMBERS = 'kafkaesque_group_members';
const COMMITTED = 'kafkaesque_group_committed_offset';
const LAG = 'kafkaesque_group_lag';

export function collectGroups(broker: BrokerContext, groups: SeriesBound, groupPartitions: SeriesBound): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>([STATE, MEMBERS, COMMITTED, LAG].map((n) => [n, []]));
  const coordinator = broker.services.groups;
  if (!coordinator) return out;
  const other = new Map<string, SampleSums>([STATE, MEMBERS, COMMITTED, LAG].map((n) => [n, new SampleSums()]));
  const logs = broker.logs;
  const groupIds = coordinator.groupIds();
  const offsets = new Map(groupIds.map((id) => [id, coordinator.fetchOffsets(id, null)]));
  const currentPartitions = new Set<string>();
  for (const [id, topics] of offsets) for (const t of topics) for (const p of t.partitions) currentPartitions.add(`${id}\u0000${t.name}\u0000${p.partition}`);
  groups.begin(new Set(groupIds));
  groupPartitions.begin(currentPartitions);
  for (const groupId of groupIds) {
    const group = coordinator.group(groupId);
    const state = group?.state ?? 'Empty';
    const members = group?.members.size ?? 0;
    if (groups.admit(groupId)) {
      out.get(STATE)!.push({ labels: { group: groupId, state }, value: 1 });
      out.get(MEMBERS)!.push({ labels: { group: groupId }, value: members });
    } else {
      other.get(STATE)!.add({ group: OTHER, state }, 1);
      other.get(MEMBERS)!.add({ group: OTHER }, members);
    }
    for (const topic of offsets.get(groupId)!) {
      for (const p of topic.partitions) {
        if (p.offset < 0n) continue;
        const log = logs.partition(topic.name, p.partition);
        const lag = log ? Math.max(0, Number(log.highWatermark - p.offset)) : 0;
        if (groupPartitions.admit(`${groupId}\u0000${topic.name}\u0000${p.partition}`)) {
          const labels = { group: groupId, topic: topic.name, partition: p.partition };
          out.get(COMMITTED)!.push({ labels, value: Number(p.offset) });
          out.get(LAG)!.push({ labels, value: lag });
        } else {
          const labels = { group: OTHER, topic: OTHER, partition: OTHER };
          other.get(COMMITTED)!.add(labels, Number(p.offset));
          other.get(LAG)!.add(labels, lag);
        }
      }
    }
  }
  groups.end();
  groupPartitions.end();
  for (const [name, sums] of other) out.get(name)!.push(...sums.values());
  return out;
}
