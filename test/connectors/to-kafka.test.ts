/**
 * toKafka against a real embedded broker over TCP: counts per key and window from fromKafka written with
 * key, value and header mappers, at-least-once in this process and exactly-once in a child process killed
 * with kill -9 mid-run and restarted. Output is checked against the same computation in memory, read as
 * read_committed (kafkajs's default), with no duplicates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { fromKafka } from '../../src/connectors/from-kafka.js';
import { toKafka } from '../../src/connectors/to-kafka.js';
import { tumblingWindow } from '../../src/dataflow/operators/tumbling-window.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';
import { collectStream } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let broker: TestBroker;
let transport: KafkaJsTransport;
let producer: Producer;
const children: ChildProcess[] = [];
beforeEach(async () => {
  broker = await startTestBroker();
  transport = new KafkaJsTransport({ brokers: [broker.address] });
  producer = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const admin = await transport.admin();
  await admin.createTopics({ topics: [{ topic: 'words', numPartitions: 3 }, { topic: 'counts', numPartitions: 2 }], waitForLeaders: true });
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await producer.disconnect();
  await transport.close();
  await broker.cleanup();
});

const KEYS = ['ant', 'bee', 'cat', 'dog', 'eel'];
/** Round r: for each partition, records at times within [r·1000, r·1000 + 999], deterministic per (r, p, i). */
function round(r: number): { partition: number; key: string; time: number }[] {
  const out: { partition: number; key: string; time: number }[] = [];
  for (let p = 0; p < 3; p++) for (let i = 0; i < 40; i++) out.push({ partition: p, key: KEYS[(r * 7 + p * 3 + i) % KEYS.length] as string, time: r * 1000 + ((i * 37 + p * 11 + r) % 1000) });
  return out;
}
const produceRound = (r: number) =>
  producer.send({ topic: 'words', acks: -1, messages: round(r).map((m) => ({ partition: m.partition, key: m.key, value: 'x', timestamp: String(m.time) })) });

/** The same counts, in memory: "start key count" lines, sorted; windows of `size` starting every 1,000 from 0. */
function expected(rounds: number, size = 1000): string[] {
  const counts = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const m of round(r)) {
      for (let start = Math.floor(m.time / 1000) * 1000; start > m.time - size && start >= 0; start -= 1000) {
        counts.set(`${start} ${m.key}`, (counts.get(`${start} ${m.key}`) ?? 0) + 1);
      }
    }
  }
  return [...counts].map(([k, n]) => `${k} ${n}`).sort();
}

/** The output topic as read_committed, as "start key count" lines, sorted (duplicates kept). */
async function readOutput(): Promise<{ lines: string[]; headersOk: boolean }> {
  const c = collectStream(fromKafka('counts', { transport, stopWhenIdleMs: 1500 }).stream);
  await c.until(() => c.done, 'reading the output topic', 40_000);
  let headersOk = true;
  const lines = c.data().map(({ value: r }) => {
    const v = JSON.parse((r.value as Buffer).toString()) as { start: number; key: string; count: number };
    if (r.key?.toString() !== v.key || r.headers.window?.toString() !== String(v.start)) headersOk = false;
    return `${v.start} ${v.key} ${v.count}`;
  });
  return { lines: lines.sort(), headersOk };
}

function child(args: string[]): { process: ChildProcess; lines: string[]; exited: Promise<number | null>; stderr: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/connectors/eos-child.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.on('close', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { process: proc, lines, exited, stderr: () => stderr };
}

async function waitFor(check: () => boolean, what: string, ms = 40_000, detail = (): string => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('toKafka (kafkajs transport, embedded broker)', () => {
  it('at-least-once: each window and key once, with key, value and header mappers; offsets committed after the writes', async () => {
    for (let r = 0; r < 5; r++) await produceRound(r);
    const source = fromKafka('words', { transport, groupId: 'alo', maxOutOfOrderness: 1000, stopWhenIdleMs: 1000 });
    await lastValueFrom(
      source.stream.pipe(
        tumblingWindow(1000, { key: (r) => (r.key as Buffer).toString(), aggregate: (n: number) => n + 1, seed: 0 }),
        toKafka('counts', { transport, source, key: (w) => w.key, value: (w) => JSON.stringify({ start: w.window.start, key: w.key, count: w.value }), headers: (w) => ({ window: String(w.window.start) }) }),
      ),
    );
    const { lines, headersOk } = await readOutput();
    expect(lines).toEqual(expected(5));
    expect(headersOk).toBe(true);
    // The stream ended: every record is complete, so the committed offsets are the ends of the partitions.
    const committed = await (await transport.admin()).fetchOffsets({ groupId: 'alo', topics: ['words'] });
    expect(committed[0]?.partitions.map((p) => Number(p.offset)).sort()).toEqual([200, 200, 200]);
  }, 90_000);

  it('exactly-once: a child killed with -9 mid-run and restarted leaves each result exactly once for read_committed readers', async () => {
    const ROUNDS = 30;
    const args = [broker.address, 'words', 'counts', 'eos', '1'];
    const first = child([...args, '60000']);
    // Input arrives while the pipeline runs, so the kill lands between transactions' records and commits:
    // once the first run has passed a few frontiers (a round gives one), with more input still coming.
    // A window's result needs the round after it, so rounds go on until the first run has passed 4 frontiers.
    let r = 0;
    const deadline = Date.now() + 60_000;
    while (first.lines.length < 4) {
      if (Date.now() > deadline || r >= ROUNDS - 5) throw new Error(`the first run passed too few frontiers after ${r} rounds: ${first.lines.join('; ')} ${first.stderr()}`);
      const seen = first.lines.length;
      await produceRound(r++);
      // The child starts slowly (tsx); after that, give each round a moment to be read.
      if (seen === 0 && r >= 4) await waitFor(() => first.lines.length > 0, 'the first frontier', 40_000, () => first.stderr());
      else await new Promise((resolve) => setTimeout(resolve, 150));
    }
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    for (; r < ROUNDS; r++) await produceRound(r);
    const second = child([...args, '2000']);
    expect(await second.exited, second.stderr()).toBe(0);
    const { lines, headersOk } = await readOutput();
    expect(new Set(lines).size, 'duplicates in the output').toBe(lines.length);
    expect(lines).toEqual(expected(ROUNDS, 2000));
    expect(headersOk).toBe(true);
  }, 120_000);

  it('refuses exactlyOnce without a grouped source', () => {
    expect(() => toKafka('x', { transport, exactlyOnce: true })).toThrow(/groupId/);
    const source = fromKafka('words', { transport });
    expect(() => toKafka('x', { transport, exactlyOnce: true, source })).toThrow(/groupId/);
    expect(() => toKafka('x', { transport, commitBytes: 0 })).toThrow(/commitBytes/);
  });
});
