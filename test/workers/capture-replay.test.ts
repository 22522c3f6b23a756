/**
 * Capture and replay on worker threads through real brokers: the embedded one (in this process, over TCP)
 * and an external broker process; k streams on fewer, equal and more workers; the example CLIs end to end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute } from '../../src/workers/execute.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

const root = path.resolve(new URL('../..', import.meta.url).pathname);
const sendModule = path.join(root, 'examples/capture_send.ts');
const recvModule = path.join(root, 'examples/capture_recv.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

interface Sent {
  records: number;
}
interface Received {
  replayed: number;
}

async function captureStreams(brokers: string[], topic: string, streams: number, count: number): Promise<Sent[]> {
  return execute<Sent>({ workers: streams }, { module: sendModule, export: 'sendWorker', args: { topic, count, brokers, transport: 'wire', type: 'f64', replace: false, quiet: true } });
}

async function replayOn(brokers: string[], topic: string, streams: number, workers: number): Promise<Received[]> {
  return execute<Received>({ workers }, { module: recvModule, export: 'recvWorker', args: { topic, streams, brokers, transport: 'wire', quiet: true } });
}

describe('capture and replay on workers (embedded broker)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.cleanup();
  });

  it('4 streams replayed on fewer (3), equal (4) and more (6) workers; each worker counts its own streams', async () => {
    const sent = await captureStreams([broker.address], 'k4', 4, 5000);
    expect(sent.map((s) => s.records)).toEqual([5000, 5000, 5000, 5000]);
    expect((await replayOn([broker.address], 'k4', 4, 3)).map((r) => r.replayed)).toEqual([10000, 5000, 5000]);
    expect((await replayOn([broker.address], 'k4', 4, 4)).map((r) => r.replayed)).toEqual([5000, 5000, 5000, 5000]);
    expect((await replayOn([broker.address], 'k4', 4, 6)).map((r) => r.replayed)).toEqual([5000, 5000, 5000, 5000, 0, 0]);
  }, 240_000);

  it('zero streams complete at once on every worker', async () => {
    expect((await replayOn([broker.address], 'none', 0, 2)).map((r) => r.replayed)).toEqual([0, 0]);
  }, 120_000);
});

describe('capture into an external broker process', () => {
  let child: ChildProcess;
  let address = '';
  let dataDir = '';
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
    child = spawn(tsx, [path.join(root, 'src/cli/main.ts'), 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    address = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /kafkaesque broker listening on (\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`broker exited with ${code}`)));
    });
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('round trip of 3 streams on 2 workers', async () => {
    await captureStreams([address], 'ext', 3, 3000);
    expect((await replayOn([address], 'ext', 3, 2)).map((r) => r.replayed)).toEqual([6000, 3000]);
  }, 120_000);
});

describe('the example CLIs', () => {
  it('capture_send then capture_recv over ./kafkaesque-data, printing Timely\'s lines', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-cli-'));
    const run = (script: string, args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(tsx, [path.join(root, 'examples', script), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (c: Buffer) => (out += c.toString()));
        p.stderr.on('data', (c: Buffer) => (out += c.toString()));
        p.on('exit', (code) => resolve({ code, out }));
      });
    try {
      const send = await run('capture_send.ts', ['numbat', '10000', '-w', '5']);
      expect(send.code).toBe(0);
      for (let i = 0; i < 5; i++) expect(send.out).toContain(`allocating producer for topic "numbat-${i}"`);
      expect(send.out).toMatch(/captured 50000 numbers .* MB\/s/);
      const recv = await run('capture_recv.ts', ['numbat', '5', '-w', '3']);
      expect(recv.code).toBe(0);
      expect(recv.out.match(/^replayed: \d+$/gm)?.sort()).toEqual(['replayed: 10000', 'replayed: 20000', 'replayed: 20000']);
      expect(recv.out).toMatch(/replayed 50000 numbers .* MB\/s/);
      const again = await run('capture_send.ts', ['numbat', '10', '-w', '1']);
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/already holds .*--replace/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  }, 240_000);
});
