/**
 * `kafkaesque topics ...` and `kafkaesque groups ...` as a user runs them: the real CLI in a child process,
 * talking to a broker over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError, type Command } from '../../../src/cli/command.js';
import { groupsCommand } from '../../../src/cli/groups.js';
import { topicsCommand } from '../../../src/cli/topics.js';
import { collect, runCli } from '../child.js';
import { kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';
import { trackedConsumer, waitFor } from './group-helpers.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

/** The real `kafkaesque` bin in a child process (slow to start: used for a few end-to-end checks). */
async function bin(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return collect(runCli([...args, '--brokers', broker.address]));
}

/** The same command in-process, its stdout/stderr captured; exit code as the bin would give it. */
async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [name, ...rest] = args;
  const command: Command = name === 'topics' ? topicsCommand : groupsCommand;
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await command.run([...rest, '--brokers', broker.address]);
    return { code, stdout, stderr };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, stdout, stderr: stderr + e.message };
    return { code: 1, stdout, stderr: stderr + String(e) };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('kafkaesque topics', () => {
  it('creates, lists, describes and deletes topics', async () => {
    const created = await bin('topics', 'create', 'cli-t', '--partitions', '3', '--config', 'retention.ms=3600000');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain('created topic cli-t');
    expect((await cli('topics', 'create', 'cli-t')).code).toBe(1);

    const list = await cli('topics', 'list', '--json');
    expect(JSON.parse(list.stdout)).toContainEqual({ name: 'cli-t', partitions: 3 });

    const producer = kafkaClient(broker).producer();
    await producer.connect();
    await producer.send({ topic: 'cli-t', messages: [{ value: 'a' }, { value: 'b' }], acks: -1 });
    await producer.disconnect();
    const described = JSON.parse((await cli('topics', 'describe', 'cli-t', '--json')).stdout) as { partitions: { logEndOffset: string }[] }[];
    expect(described[0]!.partitions).toHaveLength(3);
    expect(described[0]!.partitions.reduce((n, p) => n + Number(p.logEndOffset), 0)).toBe(2);
    const human = await cli('topics', 'describe', 'cli-t');
    expect(human.stdout).toMatch(/PARTITION\s+LEADER\s+LOG-START\s+LOG-END/);

    expect((await cli('topics', 'describe', 'missing')).code).toBe(1);
    expect((await cli('topics', 'delete', 'cli-t')).code).toBe(0);
    expect(JSON.parse((await cli('topics', 'list', '--json')).stdout)).not.toContainEqual(expect.objectContaining({ name: 'cli-t' }));
  });

  it('explains bad usage with exit code 2', async () => {
    const r = await bin('topics', 'frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown action');
  });

  it('says why it failed, without a stack trace, when no broker answers (exit code 1)', async () => {
    const r = await collect(runCli(['topics', 'list', '--brokers', '127.0.0.1:1']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kafkaesque topics: cannot reach a broker at 127.0.0.1:1');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await cli('topics', 'list', '--help')).stdout).toContain('Usage: kafkaesque topics');
    expect((await cli('groups', 'list', '--bogus')).code).toBe(2);
  });
});

describe('kafkaesque groups', () => {
  it('lists groups and describes members, assignments, committed offsets and lag', async () => {
    const kafka = kafkaClient(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cli-g', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cli-g', messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: String(i) })) });
    const consumer = await trackedConsumer(kafka, 'cli-group', 'cli-g', 'c');
    try {
      await waitFor(() => consumer.values.length === 20, 30_000, 'the consumer to read everything');
      // More data the group has not read yet: lag. Paused first, so a fast fetch cannot read it.
      await consumer.consumer.pause([{ topic: 'cli-g' }]);
      await producer.send({ topic: 'cli-g', messages: [{ key: 'x', value: 'x' }] });

      const list = JSON.parse((await cli('groups', 'list', '--json')).stdout) as { groupId: string; state: string }[];
      expect(list).toContainEqual({ groupId: 'cli-group', state: 'Stable', protocolType: 'consumer', members: 1 });
      expect(JSON.parse((await cli('groups', 'list', '--state', 'Empty', '--json')).stdout)).toEqual([]);

      // Wait (in-process, cheaply) until the group has committed everything it read.
      const admin2 = kafka.admin();
      await admin2.connect();
      await waitFor(async () => {
        const [t] = await admin2.fetchOffsets({ groupId: 'cli-group', topics: ['cli-g'] });
        return t!.partitions.reduce((n, p) => n + Number(p.offset), 0) === 20;
      }, 30_000, 'commits of the first 20 messages');
      await admin2.disconnect();
      const r = JSON.parse((await cli('groups', 'describe', 'cli-group', '--json')).stdout) as {
        state: string;
        members: { assignment: Record<string, number[]> }[];
        partitions: { partition: number; committedOffset: string; logEndOffset: string; lag: string | null; owner: string | null }[];
      };
      expect(r.state).toBe('Stable');
      expect(r.members[0]!.assignment['cli-g']).toEqual([0, 1]);
      expect(r.partitions.reduce((n, p) => n + Number(p.lag ?? 0), 0)).toBe(1);
      expect(r.partitions.every((p) => p.owner !== null)).toBe(true);

      const human = await bin('groups', 'describe', 'cli-group');
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('Group cli-group: Stable (consumer');
      expect(human.stdout).toMatch(/TOPIC\s+PARTITION\s+COMMITTED\s+LOG-END\s+LAG\s+OWNER/);
      expect(human.stdout).toContain('cli-g:0,1');
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    const after = await cli('groups', 'describe', 'cli-group');
    expect(after.stdout).toContain('Group cli-group: Empty');
    expect(after.stdout).toContain('No members.');
    const missing = await cli('groups', 'describe', 'no-such-group');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('no such group');
  });
});
