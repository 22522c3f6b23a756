/**
 * The README's example commands really run, as a user runs them (npm scripts over the built dist/), and
 * check what they replayed: `npm start` at a small count, `npm run pipeline`, and capture_send then
 * capture_recv through --brokers against a broker in another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitListening } from '../broker/child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (file: string): string => path.join(root, 'dist', file);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository and collects its output; never throws on a non-zero exit. */
function run(command: string, args: string[], timeoutMs = 120_000): Promise<Finished> {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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

const npm = (...args: string[]): Promise<Finished> => run('npm', ['--silent', ...args]);

beforeAll(() => {
  for (const file of ['examples/roundtrip.js', 'examples/pipeline.js', 'examples/capture_send.js', 'src/cli/main.js']) {
    expect(fs.existsSync(dist(file)), `${dist(file)} is missing: run npm run build (npm test does)`).toBe(true);
  }
});

describe('npm start', () => {
  it('captures 5 streams × 10^6 numbers, replays them on 3 workers and checks every stream holds 0..10^6-1', async () => {
    const r = await npm('start', '--', '--count', '1000000');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('capturing 5 streams × 1,000,000 numbers with 5 workers, replaying with 3 (embedded)');
    expect(r.stdout.match(/^replayed: \d+$/gm)?.map((l) => Number(l.slice(10))).sort()).toEqual([1_000_000, 2_000_000, 2_000_000]);
    expect(r.stdout).toMatch(/^capture: 40 MB in [\d.]+ s = [\d.]+ MB\/s/m);
    expect(r.stdout).toMatch(/^replay: {2}40 MB in [\d.]+ s = [\d.]+ MB\/s/m);
    expect(r.stdout).toContain('content checked: each of the 5 streams holds exactly the numbers 0..999999');
  }, 180_000);
});

describe('npm run pipeline', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-pipeline-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('word counts per window through the log equal the same dataflow in memory', async () => {
    const r = await npm('run', 'pipeline', '--', '--data-dir', dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('captured 600 lines into 3 streams');
    expect(r.stdout).toContain('same as in memory: yes');
  }, 180_000);
});

describe('capture_send and capture_recv through --brokers, the broker in another process', () => {
  let broker: ChildProcess;
  let address = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-brokers-'));

  beforeAll(async () => {
    // `npm run broker`, run as node directly so the test can stop exactly that process.
    broker = spawn(process.execPath, [dist('src/cli/main.js'), 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const listening = await awaitListening(broker);
    address = `${listening.host}:${listening.port}`;
    // Captured once for both tests (in beforeAll, so a failure here fails them instead of leaving
    // capture_recv waiting for streams that were never written).
    const sent = await npm('run', 'capture_send', '--', 'numbat', '100000', '-w2', '--brokers', address);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^captured 200000 numbers \(1\.6 MB\) into 2 topic\(s\) in [\d.]+ s: [\d.]+ MB\/s \(wire\)$/m);
  }, 120_000);
  afterAll(async () => {
    if (broker.exitCode === null) {
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('3 workers replay the 2 captured streams and check each holds exactly 0..10^5-1', async () => {
    const received = await npm('run', 'capture_recv', '--', 'numbat', '2', '-w3', '--count', '100000', '--brokers', address);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout.match(/^replayed: \d+$/gm)).toEqual(['replayed: 100000', 'replayed: 100000']);
    expect(received.stdout).toMatch(/^replayed 200000 numbers \(1\.6 MB\) from 2 stream\(s\) on 3 worker\(s\)/m);
    expect(received.stdout).toContain('content checked: 2 stream(s), each exactly the numbers 0..99999');
  }, 120_000);

  it('capture_recv exits 1 and names each stream when the streams do not hold what --count says', async () => {
    const r = await npm('run', 'capture_recv', '--', 'numbat', '2', '-w1', '--count', '100001', '--brokers', address);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^capture_recv: worker 0 failed: StreamContentError: stream "numbat-0" does not hold exactly the numbers 0\.\.100000: 100000 numbers, expected 100001;/m);
    expect(r.stderr).toContain('stream "numbat-1" does not hold exactly the numbers 0..100000');
    expect(r.stdout).not.toContain('content checked');
  }, 120_000);
});
