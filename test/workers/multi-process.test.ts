/**
 * `-n 2`: two real processes (child processes, real TCP between them) replay streams from one embedded broker
 * (in this test process). The frontier must be global over both processes' workers (reference §3.6): process
 * 0's streams are all done early, process 1's hold time 0 until the test releases it, and no worker anywhere may
 * see the frontier pass 0 before that. A process killed with SIGKILL or interrupted fails the other one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTransport } from '../../src/transport/open-transport.js';
import { streamTopic, type EventTransport } from '../../src/transport/transport.js';
import type { EventPusher } from '../../src/transport/event-pusher.js';
import { messages, progress } from '../../src/dataflow/event.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';
import { checkProtocol } from '../replay/helpers.js';
import type { ReplayResult } from './fixtures/mesh-jobs.js';
import { freeHosts } from './free-ports.js';

const main = new URL('./fixtures/mesh-main.ts', import.meta.url).pathname;

interface Child {
  process: ChildProcess;
  /** Lines printed so far. */
  lines: string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** When the `result`/`error` line arrived and when the process exited (epoch ms). */
  times: { settled: number; exited: number };
  /** Resolves when `count` lines match. */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
}

function startProcess(spec: Record<string, unknown>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', main, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const times = { settled: 0, exited: 0 };
  const waiters: { pattern: RegExp; count: number; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (lines.filter((l) => w.pattern.test(l)).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (!times.settled && parts.some((l) => /^(result|error) /.test(l))) times.settled = Date.now();
    check();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      times.exited = Date.now();
      if (partial) lines.push(partial);
      if (code !== 0 && stderr) lines.push(`stderr: ${stderr}`);
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    times,
    exited,
    waitFor: (pattern, count = 1) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, count, resolve });
        check();
        void exited.then(() => setTimeout(() => reject(new Error(`exited before ${count} line(s) matched ${pattern}:\n${lines.join('\n')}`)), 50));
      }),
  };
}

function resultOf(child: Child): ReplayResult[] {
  const line = child.lines.find((l) => l.startsWith('result '));
  if (!line) throw new Error(`no result:\n${child.lines.join('\n')}`);
  return JSON.parse(line.slice('result '.length)) as ReplayResult[];
}

const RECORDS = 50;
const data = (stream: number, time: number) => Array.from({ length: RECORDS }, (_, i) => stream * 1000 + time * 100 + i);

describe('progress exchange across processes (-n 2, -w 2)', { timeout: 120_000 }, () => {
  let broker: TestBroker;
  let transport: EventTransport;
  beforeAll(async () => {
    broker = await startTestBroker();
    transport = await openTransport({ transport: 'wire', brokers: [broker.address] });
  });
  afterAll(async () => {
    await transport.close();
    await broker.cleanup();
  });

  /** Four streams with data at time 0; streams of `releasedNow` also release 0, send time 1 and finish. */
  async function writeStreams(topic: string, releasedNow: number[]): Promise<EventPusher<number, number>[]> {
    const pushers: EventPusher<number, number>[] = [];
    for (let s = 0; s < 4; s++) {
      const pusher = await transport.pusher<number, number>(streamTopic(topic, s));
      pushers.push(pusher);
      await pusher.push(messages(0, data(s, 0)));
      if (releasedNow.includes(s)) await finishStream(pusher, s);
      await pusher.flush();
    }
    return pushers;
  }
  async function finishStream(pusher: EventPusher<number, number>, s: number): Promise<void> {
    await pusher.push(progress([[0, -1], [1, 1]]));
    await pusher.push(messages(1, data(s, 1)));
    await pusher.push(progress([[1, -1]]));
    await pusher.flush();
  }

  it("process 0's frontier does not pass 0 before process 1's streams released it; exact global result", async () => {
    const topic = 'late';
    // Streams 0 and 1 belong to process 0's workers (stream s -> worker s % 4) and finish at once.
    const pushers = await writeStreams(topic, [0, 1]);
    const hosts = await freeHosts(2);
    const spec = (p: number) => ({ process: p, processes: 2, workers: 2, hosts, job: 'replayTopic', args: { brokers: [broker.address], topic, streams: 4 } });
    const children = [startProcess(spec(0)), startProcess(spec(1))];
    try {
      // Every worker replays (it saw time 0's data). Process 0's workers (0 and 1) then report 'local-released'
      // once each has released 0 and heard the other do so: a frontier that ignored process 1 would have passed 0
      // in that same turn, and its 'advanced' report would come first (reports keep their order per worker).
      await Promise.all(children.map((c) => c.waitFor(/^report \d data$/, 2)));
      const process0 = children[0] as Child;
      await process0.waitFor(/^report [01] (local-released|advanced)$/, 2);
      for (const c of children) expect(c.lines.filter((l) => l.endsWith(' advanced'))).toEqual([]);

      const releasedAt = Date.now();
      for (const s of [2, 3]) await finishStream(pushers[s] as EventPusher<number, number>, s);
      const codes = await Promise.all(children.map((c) => c.exited));
      expect(codes, children.map((c) => c.lines.join('\n')).join('\n---\n')).toEqual([0, 0]);
      // Nothing of the mesh (sockets, server, channel) keeps a process alive once execute has settled.
      for (const c of children) expect(c.times.exited - c.times.settled).toBeLessThan(1500);

      const results = [...resultOf(children[0] as Child), ...resultOf(children[1] as Child)];
      expect(results.map((r) => [r.index, r.peers, r.streams])).toEqual([[0, 4, [0]], [1, 4, [1]], [2, 4, [2]], [3, 4, [3]]]);
      for (const r of results) {
        // The frontier: it passed 0 only after the release, and ended empty (steps may be compacted).
        expect(r.advancedAt).toBeGreaterThanOrEqual(releasedAt);
        expect(checkProtocol(r.events).at(-1)).toEqual([]);
        // countPerTime's count for time 0 appeared only after the release, too.
        const [t0, t1] = r.counts;
        expect(t0?.slice(0, 2)).toEqual([0, RECORDS]);
        expect(t1?.slice(0, 2)).toEqual([1, RECORDS]);
        expect(t0?.[2]).toBeGreaterThanOrEqual(releasedAt);
        // Exactly this worker's stream, both times.
        const seen = r.events.flatMap((e) => (e.kind === 'messages' ? Array.from(e.data as ArrayLike<number>) : []));
        expect(seen.sort((a, b) => a - b)).toEqual([...data(r.index, 0), ...data(r.index, 1)]);
      }
    } finally {
      for (const c of children) c.process.kill('SIGKILL');
    }
  });

  it('a peer killed with SIGKILL mid-run fails the other process within seconds, naming it', async () => {
    await writeStreams('killed', []); // nobody releases time 0: the run cannot end by itself
    const hosts = await freeHosts(2);
    const spec = (p: number) => ({ process: p, processes: 2, workers: 2, hosts, job: 'replayTopic', args: { brokers: [broker.address], topic: 'killed', streams: 4 } });
    const children = [startProcess(spec(0)), startProcess(spec(1))];
    try {
      await Promise.all(children.map((c) => c.waitFor(/^report \d data$/, 2)));
      const killedAt = Date.now();
      children[1]?.process.kill('SIGKILL');
      const code = await children[0]?.exited;
      const took = Date.now() - killedAt;
      const survivor = children[0] as Child;
      expect(code, survivor.lines.join('\n')).toBe(1);
      expect(survivor.lines.find((l) => l.startsWith('error '))).toMatch(
        new RegExp(`^error PeerProcessError: process 1 \\(${hosts[1]}\\) disconnected before its workers finished`),
      );
      expect(took).toBeLessThan(5000);
    } finally {
      for (const c of children) c.process.kill('SIGKILL');
    }
  });

  it('Ctrl-C on one process stops it cleanly and fails the other with the reason', async () => {
    await writeStreams('interrupted', []);
    const hosts = await freeHosts(2);
    const spec = (p: number) => ({ process: p, processes: 2, workers: 2, hosts, job: 'replayTopic', args: { brokers: [broker.address], topic: 'interrupted', streams: 4 } });
    const children = [startProcess(spec(0)), startProcess(spec(1))];
    try {
      await Promise.all(children.map((c) => c.waitFor(/^report \d data$/, 2)));
      children[0]?.process.kill('SIGINT');
      const codes = await Promise.all(children.map((c) => c.exited));
      expect(codes).toEqual([1, 1]);
      expect(children[0]?.lines.find((l) => l.startsWith('error '))).toMatch(/^error ExecutionStoppedError: interrupted \(SIGINT\)/);
      expect(children[1]?.lines.find((l) => l.startsWith('error '))).toMatch(
        new RegExp(`^error PeerProcessError: process 0 \\(${hosts[0]}\\) failed: ExecutionStoppedError: interrupted \\(SIGINT\\)`),
      );
    } finally {
      for (const c of children) c.process.kill('SIGKILL');
    }
  });

  it('the example CLI: capture_recv -n 2 -p 0/1 -h hostfile replays every stream once over both processes', async () => {
    const root = path.resolve(new URL('../..', import.meta.url).pathname);
    const tsx = path.join(root, 'node_modules/.bin/tsx');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-cli-'));
    const run = (script: string, args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(tsx, [path.join(root, 'examples', script), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (out += c.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
    try {
      const send = await run('capture_send.ts', ['cli', '1000', '-w4', '--brokers', broker.address]);
      expect(send.code, send.out).toBe(0);
      const hostfile = path.join(dir, 'hosts');
      fs.writeFileSync(hostfile, `# two processes\n${(await freeHosts(2)).join('\n')}\n`);
      const recv = await Promise.all([0, 1].map((p) => run('capture_recv.ts', ['cli', '4', '-w2', '-n2', `-p${p}`, '-h', hostfile, '--brokers', broker.address])));
      for (const r of recv) {
        expect(r.code, r.out).toBe(0);
        expect(r.out.match(/^replayed: \d+$/gm)).toEqual(['replayed: 1000', 'replayed: 1000']);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

