/**
 * KIP-848 across a broker kill -9, with a real client: two @platformatic/kafka consumers (groupProtocol
 * 'consumer', each in its own process) split four partitions of a topic on a broker child process; the
 * broker is SIGKILLed and restarted on the same port and data dir. The consumers keep their partitions
 * (no new group epoch, no member sees its assignment change), consume what is produced after the
 * restart, and their commits reach the end of every partition.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsumerGroupDescribe } from '../../../src/protocol/messages/consumer-group-describe.js';
import { awaitListening, runCli, type ChildBroker } from '../child.js';
import { kafkaClient, RawClient, tempDir } from '../helpers.js';
import { waitFor } from './group-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures/plt-consumer-848.ts');
// Long enough that the consumers heartbeat again before it runs out after the restart (a tsx start, on a
// loaded machine); the consumers retry for 120 s (240 × 500 ms) so they outlast the restart too.
const SESSION_MS = 60_000;
const TOPIC = 'k848-restart';
const GROUP = 'k848-restart-group';

const dir = tempDir();
const procs: ChildProcess[] = [];
let broker: ChildBroker | undefined;
afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  broker?.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Consumer {
  proc: ChildProcess;
  partitions: number[];
  /** Every assignment it reported, in order. */
  history: string[];
  values: Set<string>;
}

function startConsumer(address: string): Consumer {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, address, GROUP, TOPIC, '240'], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(proc);
  const consumer: Consumer = { proc, partitions: [], history: [], values: new Set() };
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (e.event === 'assigned') {
        consumer.partitions = e.partitions;
        consumer.history.push(JSON.stringify(e.partitions));
      } else if (e.event === 'message') consumer.values.add(e.value);
    }
  });
  return consumer;
}

async function describeGroup(b: ChildBroker) {
  const c = await RawClient.connect(b);
  try {
    return (await c.request(ConsumerGroupDescribe, 0, { groupIds: [GROUP], includeAuthorizedOperations: false })).groups[0]!;
  } finally {
    c.close();
  }
}

async function committed(b: ChildBroker): Promise<Map<number, string>> {
  const admin = kafkaClient(b).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return new Map(t!.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

async function produce(address: string, values: string[]): Promise<void> {
  const producer = new Producer({ clientId: 'k848-restart-producer', bootstrapBrokers: [address], serializers: stringSerializers });
  try {
    await producer.send({ messages: values.map((v, i) => ({ topic: TOPIC, key: v, value: v, partition: i % 4 })) });
  } finally {
    await producer.close();
  }
}

describe('@platformatic/kafka (KIP-848) across a broker kill -9', () => {
  it('consumers keep their partitions and their commits resume after the broker is killed and restarted', async () => {
    const port = await freePort();
    const args = ['--data-dir', dir, '--port', String(port), '--log-level', 'warn', '--group-consumer-session-timeout-ms', String(SESSION_MS), '--group-consumer-heartbeat-interval-ms', '300'];
    broker = await awaitListening(runCli(['broker', ...args]));
    const address = `127.0.0.1:${port}`;
    const admin = new Admin({ clientId: 'k848-restart-admin', bootstrapBrokers: [address] });
    await admin.createTopics({ topics: [TOPIC], partitions: 4, replicas: 1 });
    await admin.close();
    const first = Array.from({ length: 40 }, (_, i) => `a${i}`);
    await produce(address, first);

    const consumers = [startConsumer(address), startConsumer(address)];
    await waitFor(() => consumers.every((c) => c.partitions.length === 2), 60_000, 'two consumers with two partitions each');
    await waitFor(() => first.every((v) => consumers.some((c) => c.values.has(v))), 60_000, 'every first-round message consumed');
    await waitFor(async () => [...(await committed(broker!)).values()].every((o) => o === '10'), 30_000, 'first-round commits at offset 10');
    const before = await describeGroup(broker);
    expect(before.groupState).toBe('Stable');
    const assignments = consumers.map((c) => c.partitions.join(','));
    const histories = consumers.map((c) => c.history.length);

    broker.child.kill('SIGKILL');
    await broker.exited;
    broker = await awaitListening(runCli(['broker', ...args]));

    const second = Array.from({ length: 40 }, (_, i) => `b${i}`);
    await produce(address, second);
    await waitFor(() => second.every((v) => consumers.some((c) => c.values.has(v))), 60_000, 'every second-round message consumed after the restart');
    await waitFor(async () => [...(await committed(broker!)).values()].every((o) => o === '20'), 30_000, 'commits at the end of all four partitions (20 each)');
    const after = await describeGroup(broker);
    // Same members, same epochs: the restart caused no rebalance.
    expect(after.groupEpoch).toBe(before.groupEpoch);
    expect(after.members.map((m) => [m.memberId, m.memberEpoch]).sort()).toEqual(before.members.map((m) => [m.memberId, m.memberEpoch]).sort());
    expect(consumers.map((c) => c.partitions.join(','))).toEqual(assignments);
    // No consumer ever reported another assignment (e.g. an empty one while it rejoined).
    expect(consumers.map((c) => c.history.length)).toEqual(histories);
    // Each value of the second round was consumed by the member that owns its partition, once per member.
    for (const [i, v] of second.entries()) {
      const owner = consumers.find((c) => c.partitions.includes(i % 4))!;
      expect(owner.values.has(v)).toBe(true);
    }
    console.log(`KIP-848 restart: group epoch ${after.groupEpoch} before and after kill -9; assignments ${assignments.join(' | ')}`);
  }, 180_000);
});
