/**
 * Consumer groups with real kafkajs clients over TCP: partition split, a SIGKILLed member's partitions moving
 * within the session timeout, at-least-once processing, and committed offsets surviving consumer restarts,
 * clean broker restarts and kill -9 broker restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildBroker } from '../child.js';
import { kafkaClient, startTestBroker, tempDir, type TestBroker } from '../helpers.js';
import { coversExactly, trackedConsumer, waitFor, type TrackedConsumer } from './group-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD_CONSUMER = path.join(here, 'fixtures/consumer.ts');
const SESSION_MS = 6000;

let broker: TestBroker;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  broker = await startTestBroker();
  kafka = kafkaClient(broker);
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Produces `values` spread over the partitions by key. */
async function produce(topic: string, values: string[]): Promise<void> {
  for (let i = 0; i < values.length; i += 50) {
    await producer.send({ topic, messages: values.slice(i, i + 50).map((v) => ({ key: v, value: v })) });
  }
}

function range(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${prefix}-${from + i}`);
}

async function stopAll(consumers: TrackedConsumer[]): Promise<void> {
  await Promise.all(consumers.map((c) => c.stop().catch(() => {})));
}

describe('kafkajs consumer groups', () => {
  it('splits 6 partitions between 3 consumers and processes every message', async () => {
    const topic = 'split-6';
    await createTopic(topic, 6);
    const consumers: TrackedConsumer[] = [];
    try {
      for (let i = 0; i < 3; i++) consumers.push(await trackedConsumer(kafka, 'split', topic, `c${i}`));
      await waitFor(() => coversExactly(consumers, 6) && consumers.every((c) => c.partitions.length === 2), 30_000, 'a 2/2/2 split');
      const values = range('m', 0, 600);
      await produce(topic, values);
      const seen = () => new Set(consumers.flatMap((c) => c.values));
      await waitFor(() => seen().size === values.length, 30_000, 'every message processed');
      expect([...seen()].sort()).toEqual([...values].sort());
    } finally {
      await stopAll(consumers);
    }
  });

  it('reassigns the partitions of a SIGKILLed consumer within the session timeout', async () => {
    const topic = 'kill-6';
    await createTopic(topic, 6);
    const consumers: TrackedConsumer[] = [];
    let child: ChildProcess | undefined;
    try {
      for (let i = 0; i < 2; i++) consumers.push(await trackedConsumer(kafka, 'kill', topic, `c${i}`, { sessionTimeout: SESSION_MS }));
      await waitFor(() => coversExactly(consumers, 6), 30_000, 'two consumers own all partitions');

      child = spawn(process.execPath, ['--import', 'tsx', CHILD_CONSUMER, broker.address, 'kill', topic, String(SESSION_MS)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const childState = { partitions: [] as number[], values: [] as string[] };
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          const e = JSON.parse(line) as { event: string; partitions?: number[]; value?: string };
          if (e.event === 'join') childState.partitions = e.partitions ?? [];
          else if (e.value !== undefined) childState.values.push(e.value);
        }
      });
      await waitFor(() => childState.partitions.length === 2 && coversExactly([...consumers, childState], 6), 40_000, 'a three-way split');
      await produce(topic, range('before', 0, 120));
      await waitFor(() => new Set([...consumers.flatMap((c) => c.values), ...childState.values]).size === 120, 30_000, 'messages before the kill');

      const killedAt = Date.now();
      child.kill('SIGKILL');
      const after = range('after', 0, 120);
      await produce(topic, after);
      await waitFor(() => coversExactly(consumers, 6), SESSION_MS + 8000, 'the survivors to own all six partitions');
      const reassignMs = Date.now() - killedAt;
      // Session timeout, plus the survivors noticing the rebalance on their next heartbeat and rejoining.
      expect(reassignMs).toBeLessThan(SESSION_MS + 5000);
      await waitFor(() => after.every((v) => consumers.some((c) => c.values.includes(v))), 30_000, 'messages produced after the kill');
      console.log(`SIGKILLed member's partitions reassigned after ${reassignMs} ms (session timeout ${SESSION_MS} ms)`);
    } finally {
      child?.kill('SIGKILL');
      await stopAll(consumers);
    }
  });

  it('resumes from committed offsets after a consumer restart', async () => {
    const topic = 'resume-3';
    await createTopic(topic, 3);
    await produce(topic, range('first', 0, 90));
    const a = await trackedConsumer(kafka, 'resume', topic, 'a');
    await waitFor(() => new Set(a.values).size === 90, 30_000, 'the first 90 messages');
    await a.stop(); // commits what it processed and leaves the group

    await produce(topic, range('second', 0, 60));
    const b = await trackedConsumer(kafka, 'resume', topic, 'b');
    try {
      await waitFor(() => new Set(b.values).size === 60, 30_000, 'the next 60 messages');
      expect(b.values.filter((v) => v.startsWith('first'))).toEqual([]);
    } finally {
      await b.stop();
    }
  });
});

describe('committed offsets across broker restarts', () => {
  it('survive a clean restart: the group resumes where it committed', async () => {
    const dataDir = tempDir();
    let b1: TestBroker | undefined = await startTestBroker({ dataDir });
    try {
      const k1 = kafkaClient(b1);
      const p1 = k1.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p1.connect();
      const admin = k1.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'restart', numPartitions: 2 }], waitForLeaders: true });
      await p1.send({ topic: 'restart', messages: range('old', 0, 40).map((v) => ({ key: v, value: v })) });
      const c = await trackedConsumer(k1, 'restart-g', 'restart', 'c');
      await waitFor(() => new Set(c.values).size === 40, 30_000, 'old messages');
      await c.stop();
      const committed = await admin.fetchOffsets({ groupId: 'restart-g', topics: ['restart'] });
      await p1.disconnect();
      await admin.disconnect();
      await b1.close();
      b1 = undefined;

      const b2 = await startTestBroker({ dataDir });
      try {
        const k2 = kafkaClient(b2);
        const admin2 = k2.admin();
        await admin2.connect();
        expect(await admin2.fetchOffsets({ groupId: 'restart-g', topics: ['restart'] })).toEqual(committed);
        const groups = await admin2.listGroups();
        expect(groups.groups.map((g) => g.groupId)).toContain('restart-g');
        await admin2.disconnect();
        const p2 = k2.producer({ idempotent: true, maxInFlightRequests: 1 });
        await p2.connect();
        await p2.send({ topic: 'restart', messages: range('new', 0, 20).map((v) => ({ key: v, value: v })) });
        await p2.disconnect();
        const c2 = await trackedConsumer(k2, 'restart-g', 'restart', 'c2');
        try {
          await waitFor(() => new Set(c2.values).size === 20, 30_000, 'new messages after the restart');
          expect(c2.values.filter((v) => v.startsWith('old'))).toEqual([]);
        } finally {
          await c2.stop();
        }
      } finally {
        await b2.close();
      }
    } finally {
      await b1?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('survive kill -9 of the broker process', async () => {
    const dataDir = tempDir();
    let child = await startChildBroker(['--data-dir', dataDir]);
    try {
      const k = new Kafka({ clientId: 'k9', brokers: [`${child.host}:${child.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
      const admin = k.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'k9', numPartitions: 3 }], waitForLeaders: true });
      const wanted = [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '17' },
        { partition: 2, offset: '0' },
      ];
      // A consumer outside any group (manual assignment) commits; the last commit wins.
      await admin.setOffsets({ groupId: 'k9-g', topic: 'k9', partitions: wanted.map((p) => ({ ...p, offset: '1' })) });
      await admin.setOffsets({ groupId: 'k9-g', topic: 'k9', partitions: wanted });
      await admin.disconnect();
      child.child.kill('SIGKILL');
      await child.exited;

      child = await startChildBroker(['--data-dir', dataDir]);
      const k2 = new Kafka({ clientId: 'k9b', brokers: [`${child.host}:${child.port}`], logLevel: logLevel.NOTHING });
      const admin2 = k2.admin();
      await admin2.connect();
      const [offsets] = await admin2.fetchOffsets({ groupId: 'k9-g', topics: ['k9'] });
      await admin2.disconnect();
      expect(offsets!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((x, y) => x.partition - y.partition)).toEqual(wanted);
    } finally {
      child.child.kill('SIGTERM');
      await child.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
