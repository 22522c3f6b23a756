/**
 * `npm run wordcount -- --exactly-once` killed with kill -9 mid-run and rerun (issue 15), over the built dist/:
 * - through --brokers, a broker child that outlives the kill: input keeps arriving while the first run works,
 *   the run is killed once its sink has committed results (a `durable:` line) with input still coming, the
 *   rest of the input is produced, and the rerun resumes both stages;
 * - on the embedded broker (no --brokers), where the kill takes the broker down too and the rerun recovers
 *   its log and transactions from the data directory.
 * Then a read_committed kafkajs consumer reads the whole output topic: every (window, word) appears exactly
 * once, with the count computed here from the input.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awaitListening } from '../broker/child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (file: string): string => path.join(root, 'dist', file);

interface Run {
  child: ChildProcess;
  lines: string[];
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

function wordcount(args: string[]): Run {
  const child = spawn(process.execPath, [dist('examples/wordcount.js'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    lines.push(...d.toString().split('\n').filter(Boolean));
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, lines, stdout: () => out, stderr: () => err, exited };
}

/** Waits for a line matching `re` (checked on every output chunk), or fails naming what the run printed. */
function waitForLine(run: Run, re: RegExp, what: string, ms = 90_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      for (const line of run.lines) {
        const m = re.exec(line);
        if (m) {
          clearTimeout(timer);
          run.child.stdout!.off('data', check);
          resolve(m);
          return true;
        }
      }
      return false;
    };
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout: ${run.stdout()} stderr: ${run.stderr()}`)), ms);
    void run.exited.then(() => setImmediate(() => check() || reject(new Error(`wordcount exited before ${what}; stdout: ${run.stdout()} stderr: ${run.stderr()}`))));
    if (!check()) run.child.stdout!.on('data', () => setImmediate(check));
  });
}

async function kill9(run: Run): Promise<void> {
  run.child.kill('SIGKILL');
  const { signal } = await run.exited;
  expect(signal).toBe('SIGKILL');
}

/** Windows [k·slide, k·slide + size) holding each word's time: "start|word" → count. */
function oracle(lines: readonly { text: string; time: number }[], size: number, slide: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const { text, time } of lines) {
    for (const word of text.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase())) {
      for (let start = Math.floor(time / slide) * slide; start > time - size && start >= 0; start -= slide) {
        const id = `${start}|${word}`;
        out.set(id, (out.get(id) ?? 0) + 1);
      }
    }
  }
  return out;
}

/**
 * The output topic as a read_committed consumer sees it. An END record is appended to every partition first
 * (no transaction is open once wordcount exited), so reading up to it in each partition reads everything.
 */
async function readOutput(kafka: Kafka, admin: Admin, topic: string): Promise<{ counts: Map<string, number>; duplicates: string[] }> {
  const partitions = (await admin.fetchTopicOffsets(topic)).map((p) => p.partition);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: partitions.map((partition) => ({ partition, value: 'END' })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const counts = new Map<string, number>();
  const duplicates: string[] = [];
  const ended = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${counts.size} results; END seen in partitions ${[...ended].join(', ')} of ${partitions.length}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const text = message.value!.toString();
        if (text === 'END') {
          ended.add(partition);
          if (ended.size === partitions.length) {
            clearTimeout(timer);
            resolve();
          }
          return;
        }
        const c = JSON.parse(text) as { start: number; end: number; word: string; count: number };
        expect(message.key!.toString()).toBe(c.word);
        const id = `${c.start}|${c.word}`;
        if (counts.has(id)) duplicates.push(id);
        counts.set(id, c.count);
      },
    });
  });
  await consumer.disconnect();
  return { counts, duplicates };
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

beforeAll(() => {
  for (const file of ['examples/wordcount.js', 'src/cli/main.js']) expect(fs.existsSync(dist(file)), `${dist(file)} is missing: run npm run build (npm test does)`).toBe(true);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-wc-eos-'));
  dirs.push(dir);
  return dir;
}

describe('npm run wordcount -- --exactly-once, killed with kill -9 and rerun', () => {
  it('through --brokers (2 workers): input arriving during the run, killed after a durable commit, resumed; each (window, word) once', async () => {
    const broker = spawn(process.execPath, [dist('src/cli/main.js'), 'broker', '--port', '0', '--data-dir', tempDir(), '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(broker);
    const listening = await awaitListening(broker);
    const address = `${listening.host}:${listening.port}`;
    const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'text', numPartitions: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const vocabulary = ['Alpha', 'beta', 'GAMMA', 'delta', 'beta', 'eps'];
      const sent: { text: string; time: number }[] = [];
      /** Round r: 30 lines at times in [r·1000, r·1000 + 1000), up to 900 ms out of order, over 3 partitions. */
      const produceRound = async (r: number): Promise<void> => {
        const lines = Array.from({ length: 30 }, (_, i) => ({ text: `${vocabulary[(r + i) % 6]} ${vocabulary[(r * 5 + i * 7) % 6]} x${i % 4}`, time: r * 1000 + ((i * 311 + r * 97) % 1000) }));
        sent.push(...lines);
        await producer.send({ topic: 'text', acks: -1, messages: lines.map((l, i) => ({ partition: i % 3, value: l.text, timestamp: String(l.time) })) });
      };
      const flags = ['-w', '2', '--brokers', address, '--window', '4s', '--slide', '2s', '--max-out-of-orderness', '1s', '--exactly-once', '--progress'];
      const ROUNDS = 60;
      let r = 0;
      for (; r < 5; r++) await produceRound(r);
      const first = wordcount(['text', 'counts', ...flags, '--until-idle', '60s']);
      // Rounds go on arriving until the sink has committed results well into the input (a `durable:` line with
      // a frontier past round 8), so the kill lands with input still unread and transactions in flight.
      // Both workers' sinks must have committed: the rerun resumes each from its own positions.
      let committedPast8 = false;
      const past8 = Promise.all(
        [0, 1].map((w) => waitForLine(first, new RegExp(`^durable: worker ${w} results before ([89]\\d{3}|[1-9]\\d{4,})$`), `worker ${w}'s durable frontier past 8000`)),
      ).then(() => {
        committedPast8 = true;
      });
      past8.catch(() => {});
      while (!committedPast8) {
        if (r >= ROUNDS - 10) throw new Error(`the first run committed no frontier past 8000 on both workers after ${r} rounds: ${first.stdout()} ${first.stderr()}`);
        await produceRound(r++);
        // Input pacing (not a wait for an outcome): a round every 200 ms, or at once when the commits came.
        await Promise.race([past8, new Promise((resolve) => setTimeout(resolve, 200))]);
      }
      await kill9(first);
      expect(first.stdout()).not.toContain('OK:');
      for (; r < ROUNDS; r++) await produceRound(r);
      await producer.disconnect();

      const second = wordcount(['text', 'counts', ...flags, '--until-idle', '3s']);
      const { code } = await second.exited;
      expect(code, second.stdout() + second.stderr()).toBe(0);
      // The rerun resumed: its sinks skipped committed stream data (a fresh run would skip nothing).
      expect(second.stderr()).toMatch(/worker 0 resumed: skipped the data of [1-9]\d* committed/);
      expect(second.stderr()).toMatch(/worker 1 resumed: skipped the data of [1-9]\d* committed/);
      // …and stage 1 continued its streams from their committed input offsets: fewer words than the whole input.
      const words = Number(/^(\d+) words through 2 stream/m.exec(second.stdout())?.[1]);
      const total = sent.reduce((n, l) => n + l.text.split(' ').length, 0);
      expect(words).toBeGreaterThan(0);
      expect(words).toBeLessThan(total);
      expect(second.stdout()).toContain('late records: 0');
      expect(second.stdout()).toMatch(/^OK: \d+ window counts match the in-memory computation; counts holds each \(window, word\) once$/m);

      const expected = oracle(sent, 4000, 2000);
      const { counts, duplicates } = await readOutput(kafka, admin, 'counts');
      expect(duplicates).toEqual([]);
      expect(sorted(counts)).toEqual(sorted(expected));
    } finally {
      await admin.disconnect();
    }
  }, 240_000);

  it('on the embedded broker (3 workers): the kill takes the broker down too; the rerun recovers and the output holds each count once', async () => {
    const dir = tempDir();
    const flags = ['-w', '3', '--data-dir', dir, '--exactly-once', '--progress', '--until-idle', '2s'];
    const first = wordcount(['lines', 'counts', ...flags]);
    await waitForLine(first, /^durable: worker \d results before \d+$/, 'the first durable frontier');
    await kill9(first);
    const second = wordcount(['lines', 'counts', ...flags]);
    const { code } = await second.exited;
    expect(code, second.stdout() + second.stderr()).toBe(0);
    expect(second.stderr()).toContain('lines already holds records: no sample written');
    // The sample: 600 lines, 2,880 words, 428 (window, word) counts; the check reads the whole output topic.
    expect(second.stdout()).toContain('OK: 428 window counts match the in-memory computation; counts holds each (window, word) once');
  }, 240_000);
});
