/**
 * librdkafka's balanced consumer (kcat -G) against the group coordinator: it joins, consumes, commits, and
 * a second run resumes from the commits; two concurrent kcat members split the partitions.
 * Skips with a visible reason when kcat is missing locally; in CI a missing kcat fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { AssignerProtocol } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKcat, kafkaClient, startTestBroker, type TestBroker } from '../helpers.js';
import { waitFor } from './group-helpers.js';

const run = promisify(execFile);
const available = hasKcat();
if (!available) console.warn('SKIPPING kcat balanced-consumer tests: kcat is not installed (apt-get install kcat)');

let broker: TestBroker;
beforeAll(async () => {
  if (available) broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

async function setup(topic: string, partitions: number, count: number, prefix: string): Promise<string[]> {
  const kafka = kafkaClient(broker);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  return produce(topic, count, prefix);
}

async function produce(topic: string, count: number, prefix: string): Promise<string[]> {
  const values = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const producer = kafkaClient(broker).producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((v) => ({ key: v, value: v })) });
  await producer.disconnect();
  return values;
}

/** kcat balanced consumer until every partition is at its end (-e); returns the values it printed. */
async function kcatGroupToEnd(group: string, topic: string): Promise<string[]> {
  const { stdout } = await run('kcat', ['-b', broker.address, '-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\n', topic], {
    timeout: 60_000,
    maxBuffer: 16 << 20,
  });
  return stdout.split('\n').filter(Boolean);
}

describe.skipIf(!available)('kcat balanced consumer (librdkafka)', () => {
  it('consumes everything, commits, and a second run resumes from the commits', async () => {
    const first = await setup('kcat-g', 4, 200, 'a');
    expect((await kcatGroupToEnd('kcat-grp', 'kcat-g')).sort()).toEqual([...first].sort());
    const admin = kafkaClient(broker).admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: 'kcat-grp', topics: ['kcat-g'] });
    const total = committed!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(total).toBe(200);
    await admin.disconnect();

    const second = await produce('kcat-g', 50, 'b');
    expect((await kcatGroupToEnd('kcat-grp', 'kcat-g')).sort()).toEqual([...second].sort());
  });

  it('two kcat members split the partitions and together see every message', async () => {
    const values = await setup('kcat-split', 4, 400, 'm');
    const members: ChildProcess[] = [];
    const seen: string[][] = [[], []];
    try {
      for (let i = 0; i < 2; i++) {
        const p = spawn('kcat', ['-b', broker.address, '-G', 'kcat-split-grp', '-X', 'auto.offset.reset=earliest', '-u', '-q', '-f', '%s\n', 'kcat-split'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        let buf = '';
        p.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          seen[i]!.push(...lines.filter(Boolean));
        });
        members.push(p);
      }
      const admin = kafkaClient(broker).admin();
      await admin.connect();
      try {
        const split = async () => {
          const { groups } = await admin.describeGroups(['kcat-split-grp']);
          const g = groups[0]!;
          if (g.state !== 'Stable' || g.members.length !== 2) return false;
          const counts = g.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment['kcat-split']?.length ?? 0);
          return counts[0] === 2 && counts[1] === 2;
        };
        await waitFor(split, 30_000, 'two kcat members with two partitions each');
        await waitFor(() => new Set(seen.flat()).size === values.length, 30_000, 'every message');
        expect(new Set(seen.flat())).toEqual(new Set(values));
      } finally {
        await admin.disconnect();
      }
    } finally {
      for (const p of members) p.kill('SIGTERM');
      await Promise.all(members.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.on('exit', r)))));
    }
  });

  it('a static member (group.instance.id) restarted after SIGKILL takes its place back without a rebalance', async () => {
    await setup('kcat-static', 2, 10, 's');
    const start = () =>
      spawn('kcat', ['-b', broker.address, '-G', 'kcat-static-grp', '-X', 'group.instance.id=inst-a', '-X', 'session.timeout.ms=30000', '-u', '-q', 'kcat-static'], {
        stdio: ['ignore', 'ignore', 'ignore'],
      });
    const groups = broker.context.services.groups!;
    const stable = () => groups.group('kcat-static-grp')?.state === 'Stable';
    let member = start();
    try {
      await waitFor(stable, 30_000, 'the static member to join');
      const before = groups.group('kcat-static-grp')!;
      const generation = before.generationId;
      const firstId = [...before.members.keys()][0]!;
      member.kill('SIGKILL');
      member = start();
      await waitFor(() => stable() && [...groups.group('kcat-static-grp')!.members.keys()][0] !== firstId, 30_000, 'the restarted member to replace the old id');
      const after = groups.group('kcat-static-grp')!;
      expect(after.members.size).toBe(1);
      expect(after.generationId).toBe(generation);
    } finally {
      member.kill('SIGKILL');
    }
  });
});
