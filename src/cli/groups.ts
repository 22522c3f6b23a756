/**
 * `kafkaesque groups list|describe <group>`: consumer groups of a running broker, over the protocol
 * (ListGroups, DescribeGroups, OffsetFetch, ListOffsets), like Kafka's kafka-consumer-groups.sh: members,
 * their assignments, committed offsets and lag per partition.
 */
import { AssignerProtocol, type Admin } from 'kafkajs';
import { BROKERS_HELP, parseAdminArgs, print, printJson, table, withAdmin } from './admin-support.js';
import { UsageError, type Command } from './command.js';

const HELP = [
  'Usage: kafkaesque groups <list|describe> [options]',
  '',
  '  groups list [--state STATE]     every group with its state and protocol type',
  '  groups describe <group>...      members, assignments, committed offsets and lag per partition',
  '',
  'Options:',
  BROKERS_HELP,
  '  --state STATE              only groups in this state (Stable, Empty, PreparingRebalance, ...)',
  '  --json                     machine-readable output',
  '  -h, --help                 show this help',
].join('\n');

export interface PartitionReport {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  committedOffset: string;
  logEndOffset: string;
  /** null when nothing is committed. */
  lag: string | null;
  owner: string | null;
}

export interface GroupReport {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string; assignment: Record<string, number[]> }[];
  partitions: PartitionReport[];
}

async function describeGroup(admin: Admin, groupId: string): Promise<GroupReport> {
  const { groups } = await admin.describeGroups([groupId]);
  const g = groups[0]!;
  const members = g.members.map((m) => {
    // Consumer-protocol assignments can be decoded; other protocols' bytes are opaque.
    let assignment: Record<string, number[]> = {};
    if (g.protocolType === 'consumer' && m.memberAssignment.length > 0) {
      try {
        assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
      } catch {
        assignment = {};
      }
    }
    return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment };
  });
  const owners = new Map<string, string>();
  for (const m of members) for (const [topic, parts] of Object.entries(m.assignment)) for (const p of parts) owners.set(`${topic}:${p}`, m.memberId);

  const committed = await admin.fetchOffsets({ groupId });
  const topics = new Set([...committed.map((t) => t.topic), ...members.flatMap((m) => Object.keys(m.assignment))]);
  const partitions: PartitionReport[] = [];
  for (const topic of [...topics].sort()) {
    let ends: { partition: number; high: string }[] = [];
    try {
      ends = await admin.fetchTopicOffsets(topic);
    } catch {
      ends = []; // the topic was deleted; its commits are still shown
    }
    const seen = new Set<number>();
    const mine = committed.find((t) => t.topic === topic)?.partitions ?? [];
    for (const p of [...mine.map((x) => x.partition), ...ends.map((e) => e.partition)]) seen.add(p);
    for (const partition of [...seen].sort((a, b) => a - b)) {
      const c = mine.find((x) => x.partition === partition)?.offset ?? '-1';
      const end = ends.find((e) => e.partition === partition)?.high ?? '-';
      const owner = owners.get(`${topic}:${partition}`) ?? null;
      if (c === '-1' && owner === null) continue;
      partitions.push({
        topic,
        partition,
        committedOffset: c,
        logEndOffset: end,
        lag: c === '-1' || end === '-' ? null : String(BigInt(end) - BigInt(c)),
        owner,
      });
    }
  }
  return { groupId, state: g.state, protocolType: g.protocolType, protocol: g.protocol, members, partitions };
}

function render(r: GroupReport): string {
  const lines = [`Group ${r.groupId}: ${r.state}${r.protocolType ? ` (${r.protocolType}${r.protocol ? `, ${r.protocol}` : ''})` : ''}`];
  if (r.state === 'Dead') return `${lines[0]} — no such group`;
  lines.push('');
  if (r.members.length === 0) lines.push('No members.');
  else {
    lines.push(
      table(
        ['MEMBER', 'CLIENT-ID', 'HOST', 'ASSIGNMENT'],
        r.members.map((m) => [
          m.memberId,
          m.clientId,
          m.host,
          Object.entries(m.assignment)
            .map(([t, ps]) => `${t}:${[...ps].sort((a, b) => a - b).join(',')}`)
            .join(' ') || '-',
        ]),
      ),
    );
  }
  lines.push('');
  if (r.partitions.length === 0) lines.push('No committed offsets.');
  else {
    lines.push(
      table(
        ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-END', 'LAG', 'OWNER'],
        r.partitions.map((p) => [p.topic, p.partition, p.committedOffset === '-1' ? '-' : p.committedOffset, p.logEndOffset, p.lag ?? '-', p.owner ?? '-']),
      ),
    );
  }
  return lines.join('\n');
}

export const groupsCommand: Command = {
  name: 'groups',
  summary: 'list consumer groups, or describe members, assignments, offsets and lag',
  help: () => HELP,
  async run(argv) {
    const parsed = parseAdminArgs(argv, { state: { type: 'string' } } as const, HELP);
    if (!parsed) return 0;
    const { values, action, names, brokers } = parsed;
    switch (action) {
      case 'list':
        return withAdmin(parsed, async (admin) => {
          const { groups } = await admin.listGroups();
          const ids = groups.map((g) => g.groupId).sort();
          const described = ids.length === 0 ? [] : (await admin.describeGroups(ids)).groups;
          let rows = described.map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType, members: g.members.length }));
          if (values.state) rows = rows.filter((r) => r.state.toLowerCase() === values.state!.toLowerCase());
          if (values.json) printJson(rows);
          else print(rows.length === 0 ? 'No groups.' : table(['GROUP', 'STATE', 'PROTOCOL-TYPE', 'MEMBERS'], rows.map((r) => [r.groupId, r.state, r.protocolType || '-', r.members])));
          return 0;
        });
      case 'describe': {
        if (names.length === 0) throw new UsageError('groups describe needs a group id');
        return withAdmin(parsed, async (admin) => {
          const reports: GroupReport[] = [];
          for (const name of names) reports.push(await describeGroup(admin, name));
          if (values.json) printJson(names.length === 1 ? reports[0] : reports);
          else print(reports.map(render).join('\n\n'));
          return reports.some((r) => r.state === 'Dead') ? 1 : 0;
        });
      }
      default:
        throw new UsageError(action === undefined ? 'missing action: list or describe' : `unknown action "${action}": use list or describe`);
    }
  },
};
