/**
 * `kafkaesque topics list|describe|create|delete`: the topic catalog of a running broker, over the protocol
 * (Metadata, ListOffsets, CreateTopics, DeleteTopics), like Kafka's kafka-topics.sh.
 */
import { BROKERS_HELP, parseAdminArgs, print, printJson, table, withAdmin } from './admin-support.js';
import { UsageError, type Command } from './command.js';

const HELP = [
  'Usage: kafkaesque topics <list|describe|create|delete> [options]',
  '',
  '  topics list                       names and partition counts',
  '  topics describe <topic>...        partitions with leader, log start and end offsets',
  '  topics create <topic> [--partitions N] [--config key=value]...',
  '  topics delete <topic>...',
  '',
  'Options:',
  BROKERS_HELP,
  '  --partitions N             partitions of a new topic (default: the broker\'s num.partitions)',
  '  --config key=value         topic config of a new topic (repeatable), e.g. retention.ms=60000',
  '  --json                     machine-readable output',
  '  -h, --help                 show this help',
].join('\n');

export const topicsCommand: Command = {
  name: 'topics',
  summary: 'list, describe, create and delete topics on a running broker',
  help: () => HELP,
  async run(argv) {
    const parsed = parseAdminArgs(argv, { partitions: { type: 'string' }, config: { type: 'string', multiple: true } } as const, HELP);
    if (!parsed) return 0;
    const { values, action, names, brokers } = parsed;
    switch (action) {
      case 'list':
        return withAdmin(parsed, async (admin) => {
          const { topics } = await admin.fetchTopicMetadata();
          const rows = topics.map((t) => ({ name: t.name, partitions: t.partitions.length })).sort((a, b) => a.name.localeCompare(b.name));
          if (values.json) printJson(rows);
          else print(table(['TOPIC', 'PARTITIONS'], rows.map((r) => [r.name, r.partitions])));
          return 0;
        });
      case 'describe': {
        if (names.length === 0) throw new UsageError('topics describe needs at least one topic name');
        return withAdmin(parsed, async (admin) => {
          const existing = new Set(await admin.listTopics());
          const missing = names.filter((n) => !existing.has(n));
          if (missing.length > 0) {
            process.stderr.write(`kafkaesque topics: no such topic: ${missing.join(', ')}\n`);
            return 1;
          }
          const { topics } = await admin.fetchTopicMetadata({ topics: names });
          const described = [];
          for (const t of topics) {
            const offsets = await admin.fetchTopicOffsets(t.name);
            described.push({
              name: t.name,
              partitions: t.partitions
                .map((p) => {
                  const o = offsets.find((x) => x.partition === p.partitionId);
                  return { partition: p.partitionId, leader: p.leader, logStartOffset: o?.low ?? '-', logEndOffset: o?.high ?? '-' };
                })
                .sort((a, b) => a.partition - b.partition),
            });
          }
          if (values.json) printJson(described);
          else {
            print(
              described
                .map((t) => `Topic ${t.name} (${t.partitions.length} partitions)\n` + table(['PARTITION', 'LEADER', 'LOG-START', 'LOG-END'], t.partitions.map((p) => [p.partition, p.leader, p.logStartOffset, p.logEndOffset])))
                .join('\n\n'),
            );
          }
          return 0;
        });
      }
      case 'create': {
        if (names.length !== 1) throw new UsageError('topics create takes exactly one topic name');
        const partitions = values.partitions === undefined ? -1 : Number(values.partitions);
        if (!Number.isInteger(partitions) || (partitions < 1 && partitions !== -1)) throw new UsageError(`--partitions must be a positive integer, got "${values.partitions}"`);
        const configEntries = (values.config ?? []).map((kv) => {
          const i = kv.indexOf('=');
          if (i <= 0) throw new UsageError(`--config takes key=value, got "${kv}"`);
          return { name: kv.slice(0, i), value: kv.slice(i + 1) };
        });
        return withAdmin(parsed, async (admin) => {
          const created = await admin.createTopics({ topics: [{ topic: names[0]!, numPartitions: partitions, configEntries }], waitForLeaders: true });
          if (!created) {
            process.stderr.write(`kafkaesque topics: topic ${names[0]} already exists\n`);
            return 1;
          }
          print(`created topic ${names[0]}`);
          return 0;
        });
      }
      case 'delete': {
        if (names.length === 0) throw new UsageError('topics delete needs at least one topic name');
        return withAdmin(parsed, async (admin) => {
          await admin.deleteTopics({ topics: names });
          print(`deleted ${names.length === 1 ? 'topic' : 'topics'} ${names.join(', ')}`);
          return 0;
        });
      }
      default:
        throw new UsageError(action === undefined ? 'missing action: list, describe, create or delete' : `unknown action "${action}": use list, describe, create or delete`);
    }
  },
};
