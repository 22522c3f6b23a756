/**
 * `kafkaesque streams list|describe <name>`: the captured streams on a running broker (issue 14, "why a frontier
 * is stuck"). A capture of name N writes topics N-0 .. N-(k-1); `describe` reads each of them through the client
 * layer and shows its events, its frontier, whether it is complete, and which streams hold a replay of N back.
 */
import { KafkaClient } from '../client/client.js';
import { BROKERS_HELP, parseAdminArgs, print, printJson, table } from './admin-support.js';
import { summarizeGroup, summarizeStream, key, type GroupSummary } from './captured-stream.js';
import { UsageError, type Command } from './command.js';

const HELP = [
  'Usage: kafkaesque streams <list|describe> [name] [options]',
  '',
  '  streams list                 captured stream names (topics <name>-<i>) with their stream and event counts',
  '  streams describe <name>      per stream: events, frontier, complete or open, when its frontier last moved;',
  '                               for the name: the streams that hold a replay back, and since when',
  '',
  'Options:',
  BROKERS_HELP,
  '  --streams N                expected streams (the capturing workers); default: up to the highest index found.',
  '                             Absent ones are reported as missing: they hold a replay at the minimum',
  '  --json                     machine-readable output',
  '  -h, --help                 show this help',
].join('\n');

const STREAM_TOPIC = /^(.+)-(\d+)$/;

/** Captured-stream names among `topics`, with their stream indices. */
export function streamGroups(topics: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const topic of topics) {
    const m = STREAM_TOPIC.exec(topic);
    if (!m) continue;
    const list = groups.get(m[1]!) ?? [];
    list.push(Number(m[2]));
    groups.set(m[1]!, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a - b);
  return groups;
}

const showTimes = (times: readonly unknown[]): string => (times.length === 0 ? '-' : times.map(key).join(','));
const showAt = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
const ago = (ms: number | undefined, now: number): string => (ms === undefined ? '' : ` (${((now - ms) / 1000).toFixed(1)} s ago)`);

function render(group: GroupSummary, now: number): string {
  const rows = group.streams.map((s) => [
    s.topic,
    s.present ? s.events : '-',
    s.present ? showTimes(s.frontier) : '0 (implicit)',
    !s.present ? 'missing' : s.complete ? 'complete' : s.truncated ? 'open (log truncated)' : 'open',
    showAt(s.frontierMovedAt),
  ]);
  const lines = [table(['STREAM', 'EVENTS', 'FRONTIER', 'STATE', 'FRONTIER-MOVED'], rows), ''];
  const complete = group.streams.every((s) => s.complete);
  if (complete) lines.push(`${group.name}: all ${group.streams.length} stream(s) complete`);
  else {
    lines.push(`${group.name}: a replay's frontier is ${showTimes(group.frontier)}, held by:`);
    for (const h of group.holding) {
      lines.push(`  ${h.topic}${h.missing ? ' (missing: its topic does not exist)' : `, not moved since ${showAt(h.since)}${ago(h.since, now)}`}`);
    }
  }
  return lines.join('\n');
}

export const streamsCommand: Command = {
  name: 'streams',
  summary: 'captured streams on a running broker: events, frontiers, and which hold a replay back',
  help: () => HELP,
  async run(argv) {
    const parsed = parseAdminArgs(argv, { streams: { type: 'string' } } as const, HELP);
    if (!parsed) return 0;
    const { values, action, names, brokers } = parsed;
    const expected = values.streams === undefined ? undefined : Number(values.streams);
    if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) throw new UsageError(`--streams must be a positive integer, got "${values.streams}"`);
    if (action !== 'list' && action !== 'describe') {
      throw new UsageError(action === undefined ? 'missing action: list or describe' : `unknown action "${action}": use list or describe`);
    }
    if (action === 'describe' && names.length !== 1) throw new UsageError('streams describe takes one captured stream name (e.g. numbat for numbat-0..4)');
    const client = new KafkaClient({ brokers, clientId: 'kafkaesque-cli' });
    try {
      let topics: string[];
      try {
        topics = (await client.metadata(null)).topics.map((t) => t.name ?? '').filter(Boolean);
      } catch (error) {
        throw new Error(`cannot reach a broker at ${brokers.join(',')}: ${(error as Error).message}`);
      }
      const groups = streamGroups(topics);
      if (action === 'list') {
        const rows = [];
        for (const [name, indices] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
          let events = 0n;
          for (const i of indices) {
            const { earliest, latest } = await client.offsets(`${name}-${i}`);
            events += latest - earliest;
          }
          rows.push({ name, streams: indices.length, indices, events: Number(events) });
        }
        if (values.json) printJson(rows);
        else print(rows.length === 0 ? 'no captured streams (topics named <name>-<index>)' : table(['NAME', 'STREAMS', 'EVENTS'], rows.map((r) => [r.name, r.streams, r.events])));
        return 0;
      }
      const name = names[0]!;
      const found = groups.get(name) ?? [];
      if (found.length === 0 && expected === undefined) {
        process.stderr.write(`kafkaesque streams: no captured stream named "${name}" (no topic ${name}-0, ${name}-1, ...)\n`);
        return 1;
      }
      const count = expected ?? (found.at(-1) ?? -1) + 1;
      const streams = [];
      for (let i = 0; i < count; i++) streams.push(await summarizeStream(client, `${name}-${i}`, i));
      const group = summarizeGroup(name, streams);
      if (values.json) printJson(group);
      else print(render(group, Date.now()));
      return 0;
    } finally {
      await client.close();
    }
  },
};
