/**
 * `npm run wordcount` end to end, as a user runs it (over the built dist/): on the embedded broker with its
 * sample input, on 1 worker and on 3; and through --brokers against a broker child process, with input
 * produced by kafkajs at explicit timestamps. The output topic is read back by a plain kafkajs consumer and
 * checked against a window count computed here, with no (window, word) twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitListening } from '../broker/child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (file: string): string => path.join(root, 'dist', file);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 120_000): Promise<Finished> {
  const child = spawn('npm', ['--silent', 'run', 'wordcount', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  expect(fs.existsSync(dist('examples/wordcount.js')), 'dist/examples/wordcount.js is missing: run npm run build (npm test does)').toBe(true);
});

describe('npm run wordcount flags', () => {
  it('refuses a bad duration, with the reason (--exactly-once is documented; wordcount-exactly-once.test.ts runs it)', async () => {
    const help = await run(['lines']);
    expect(help.code).toBe(2);
    expect(help.stderr).toContain('--exactly-once             exactly-once through both stages');
    const bad = await run(['lines', 'counts', '--window', '5 parsecs']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--window needs a duration such as 500ms, 5s, 2m or 1h');
  }, 60_000);
});

describe('npm run wordcount on the embedded broker (sample input)', () => {
  for (const workers of [1, 3]) {
    it(`counts on ${workers} worker(s) and checks the output against the in-memory computation`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-wordcount-'));
      try {
        const r = await run(['lines', 'counts', '-w', String(workers), '--data-dir', dataDir, '--until-idle', '2s']);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^2880 words through ${workers} stream\\(s\\) to ${workers} worker\\(s\\), 428 window counts in \\d+ ms; late records: 0$`, 'm'));
        expect(r.stdout).toMatch(/^ {2}\[20000, 80000\) the: 60$/m);
        expect(r.stdout).toContain('OK: 428 window counts match the in-memory computation; counts holds each (window, word) once');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});

describe('npm run wordcount through --brokers, the broker in another process', () => {
  let broker: ChildProcess;
  let address = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-wordcount-brokers-'));

  beforeAll(async () => {
    broker = spawn(process.execPath, [dist('src/cli/main.js'), 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const listening = await awaitListening(broker);
    address = `${listening.host}:${listening.port}`;
  }, 60_000);
  afterAll(async () => {
    if (broker.exitCode === null) {
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('3 workers count kafkajs-produced lines per 10 s window sliding by 5 s; the output topic holds each count once', async () => {
    const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'text', numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const vocabulary = ['Alpha', 'beta', 'GAMMA', 'delta', 'beta'];
    const lines = Array.from({ length: 200 }, (_, i) => ({
      text: `${vocabulary[i % 5]}  ${vocabulary[(i * 3) % 5]}\t${i % 7 === 0 ? 'Épée épée' : 'x'}`,
      // Up to 2 s out of order, within --max-out-of-orderness 3s.
      time: 1_000_000 + i * 250 + ((i * 13) % 9) * 250,
    }));
    await producer.send({ topic: 'text', acks: -1, messages: lines.map((l, i) => ({ partition: i % 2, value: l.text, timestamp: String(l.time) })) });
    await producer.disconnect();

    const r = await run(['text', 'text-counts', '-w', '3', '--brokers', address, '--window', '10s', '--slide', '5s', '--max-out-of-orderness', '3s', '--until-idle', '2s']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('late records: 0');

    // The oracle, computed here: windows [k·5000, k·5000 + 10000) holding each word's time.
    const expected = new Map<string, number>();
    for (const { text, time } of lines) {
      for (const word of text.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase())) {
        for (let start = Math.floor(time / 5000) * 5000; start > time - 10_000 && start >= 0; start -= 5000) {
          const id = `${start}|${word}`;
          expected.set(id, (expected.get(id) ?? 0) + 1);
        }
      }
    }
    const offsets = await admin.fetchTopicOffsets('text-counts');
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    expect(total).toBe(expected.size);
    const consumer = kafka.consumer({ groupId: 'wordcount-test-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'text-counts', fromBeginning: true });
    const got = new Map<string, number>();
    const duplicates: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${got.size} of ${total} output records`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const c = JSON.parse(message.value!.toString()) as { start: number; end: number; word: string; count: number };
          expect(message.key!.toString()).toBe(c.word);
          expect(c.end - c.start).toBe(10_000);
          const id = `${c.start}|${c.word}`;
          if (got.has(id)) duplicates.push(id);
          got.set(id, c.count);
          if (got.size + duplicates.length === total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(duplicates).toEqual([]);
    expect(new Map([...got].sort())).toEqual(new Map([...expected].sort()));
  }, 120_000);
});
