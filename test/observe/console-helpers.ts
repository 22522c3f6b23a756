/**
 * Shared by the console and API tests: a broker with the HTTP endpoint, kcat producing, a kafkajs consumer
 * group, and captured streams written as capture writes them (event-codec bytes, one record per event).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Consumer } from 'kafkajs';
import { encodeEvent } from '../../src/transport/event-codec.js';
import { kafkaClient, type TestBroker } from '../broker/helpers.js';
import { toolAvailable } from '../helpers/tools.js';
import { until } from '../until.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether Debian's chromium is installed; under CI a missing one throws (it must fail, not skip). */
export function hasChromium(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!toolAvailable('chromium', env)) return false;
  if (fs.existsSync(CHROMIUM)) return true;
  if (env.CI) throw new Error(`chromium is on PATH but not at ${CHROMIUM}, where the console tests launch it (apt-get install chromium)`);
  return false;
}

export function httpBase(b: TestBroker): string {
  return `http://${b.http!.host}:${b.http!.port}`;
}

export async function getJson<T = any>(b: TestBroker, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(httpBase(b) + path);
  return { status: res.status, body: (await res.json()) as T };
}

/** Produces `key:value` lines with kcat (librdkafka), keyed so both partitions get records. */
export function kcatProduce(b: TestBroker, topic: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('kcat', ['-P', '-b', b.address, '-t', topic, '-K', ':', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`))));
    p.stdin.end(lines.join('\n') + '\n');
  });
}

export async function createTopic(b: TestBroker, topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient(b, 'console-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Starts a kafkajs group consumer reading `topic` from the beginning; resolves once it has read `count`. */
export async function consumeAll(b: TestBroker, groupId: string, topic: string, count: number): Promise<Consumer> {
  const consumer = kafkaClient(b, 'console-test-consumer').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
  await until(() => seen >= count, `the group consumer to read ${count} records (read ${seen})`, 30_000);
  return consumer;
}

/**
 * Three captured streams of the name `numbat`: numbat-0 finishes, numbat-1 stops at time 3, numbat-2 at 7.
 * A replay of the three is held at {3} by numbat-1.
 */
export async function writeCapturedStreams(b: TestBroker): Promise<void> {
  const producer = kafkaClient(b, 'console-test-capture').producer();
  await producer.connect();
  const streams: Record<string, object[]> = {
    'numbat-0': [
      { kind: 'messages', time: 0, data: Uint32Array.from([1, 2, 3]) },
      { kind: 'progress', updates: [[0, -1], [5, 1]] },
      { kind: 'messages', time: 5, data: ['five', 'fünf'] },
      { kind: 'progress', updates: [[5, -1]] },
    ],
    'numbat-1': [
      { kind: 'messages', time: 0, data: Float64Array.from([0.5]) },
      { kind: 'progress', updates: [[0, -1], [3, 1]] },
    ],
    'numbat-2': [{ kind: 'progress', updates: [[0, -1], [7, 1]] }],
  };
  try {
    for (const [topic, events] of Object.entries(streams)) {
      await producer.send({ topic, messages: events.map((e) => ({ value: encodeEvent(e as never) })) });
    }
  } finally {
    await producer.disconnect();
  }
}
