/**
 * Issue 12: `capture_send --exactly-once` killed with kill -9 at fixed points and rerun with `--resume`;
 * `capture_recv` then checks by content that every stream holds each number exactly once. On the embedded
 * transport the broker runs in capture_send's process, so every kill is also a broker kill -9 and restart.
 * Then the same through --brokers against a broker in another process (wire transport), with `-n 2`
 * processes, and with the broker itself killed with kill -9 in the middle of the capture and restarted.
 * Runs the built examples (dist/), as the README's commands do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeHosts, freePorts } from '../workers/free-ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (file: string): string => path.join(root, 'dist', file);
const KILL_AT = 'KAFKAESQUE_TEST_CAPTURE_KILL_AT';

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<Finished> {
  const child = spawn(process.execPath, [dist(script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const send = (args: string[], env?: Record<string, string>): Promise<Finished> => run('examples/capture_send.js', args, env);
const recv = (args: string[]): Promise<Finished> => run('examples/capture_recv.js', args);

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-eos-'));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  for (const file of ['examples/capture_send.js', 'examples/capture_recv.js', 'src/cli/main.js']) {
    expect(fs.existsSync(dist(file)), `${dist(file)} is missing: run npm run build (npm test does)`).toBe(true);
  }
});

const COUNT = 300_000; // 293 batches of 1,024 numbers per stream
const COMMIT = ['--exactly-once', '--commit-bytes', '100000']; // a transaction every 13 batches (8 KiB each)

/** capture_recv's content check: every stream holds each of 0..count-1 exactly once. */
async function expectExact(topic: string, streams: number, where: string[]): Promise<void> {
  const r = await recv([topic, String(streams), '-w2', '--count', String(COUNT), ...where]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`content checked: ${streams} stream(s), each exactly the numbers 0..${COUNT - 1}`);
}

describe('capture_send --exactly-once, kill -9 at fixed points, then --resume (embedded: the broker dies too)', () => {
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Batch numbers at which the capture kills its own process: before the first event, inside the first
  // transaction, and inside later ones (never on a commit boundary, a multiple of 13, so each kill leaves an
  // open transaction with events in the log that the resumed capture must abort and replay must skip).
  it.each([0, 5, 20, 137, 290])('killed at batch %i, resumed, replays each number exactly once', async (at) => {
    const dir = tempDir();
    const killed = await send(['eo', String(COUNT), '-w2', ...COMMIT, '--data-dir', dir], { [KILL_AT]: String(at) });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    if (at === 137) {
      // Without --resume the committed prefix is refused, and the error says what to do.
      const refused = await send(['eo', String(COUNT), '-w2', ...COMMIT, '--data-dir', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/committed prefix.*--resume.*--replace/);
    }
    const resumed = await send(['eo', String(COUNT), '-w2', ...COMMIT, '--resume', '--data-dir', dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/\(embedded, exactly-once, resumed\)$/m);
    await expectExact('eo', 2, ['--data-dir', dir]);
  }, 120_000);
});

/** `kafkaesque broker` in a child process; resolves with its address once it listens. */
async function startBroker(dir: string, port = 0): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [dist('src/cli/main.js'), 'broker', '--port', String(port), '--data-dir', dir, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /kafkaesque broker listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the broker exited (${code}) before listening`)));
  });
  return { child, address };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

describe('capture_send --exactly-once --brokers, the broker in another process', () => {
  const brokers: ChildProcess[] = [];
  afterEach(async () => {
    for (const b of brokers.splice(0)) await stop(b, 'SIGTERM');
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('killed at batch 50, resumed over the wire, replays each number exactly once', async () => {
    const { child, address } = await startBroker(tempDir());
    brokers.push(child);
    const killed = await send(['wo', String(COUNT), '-w2', ...COMMIT, '--brokers', address], { [KILL_AT]: '50' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const resumed = await send(['wo', String(COUNT), '-w2', ...COMMIT, '--resume', '--brokers', address]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/\(wire, exactly-once, resumed\)$/m);
    await expectExact('wo', 2, ['--brokers', address]);
  }, 120_000);

  it('-n 2: both processes killed at batch 40, both resumed, every stream replays exactly', async () => {
    const { child, address } = await startBroker(tempDir());
    brokers.push(child);
    const hostfile = path.join(tempDir(), 'hosts');
    const both = async (extra: string[], env: Record<string, string> = {}): Promise<Finished[]> => {
      fs.writeFileSync(hostfile, (await freeHosts(2)).join('\n'));
      return Promise.all([0, 1].map((p) => send(['no', String(COUNT), '-w1', '-n', '2', '-p', String(p), '-h', hostfile, ...COMMIT, ...extra, '--brokers', address], env)));
    };
    const killed = await both([], { [KILL_AT]: '40' });
    // Each process kills itself at batch 40; one may also end with an error when its peer vanished first.
    expect(killed.some((r) => r.signal === 'SIGKILL'), killed.map((r) => r.stderr).join('\n')).toBe(true);
    const resumed = await both(['--resume']);
    for (const r of resumed) expect(r.code, r.stderr).toBe(0);
    await expectExact('no', 2, ['--brokers', address]);
  }, 120_000);

  it('the broker killed with kill -9 mid-capture and restarted: the capture resumes and replays exactly', async () => {
    const dir = tempDir();
    const [port] = await freePorts(1);
    let broker = await startBroker(dir, port);
    brokers.push(broker.child);
    const big = 3_000_000;
    const sending = send(['bk', String(big), '-w1', '--exactly-once', '--commit-ms', '50', '--brokers', broker.address]);
    // Kill the broker once the stream's log holds a few MB (a bounded poll of the data dir, with a clear failure).
    const log = path.join(dir, 'bk-0-0'); // <topic>-<partition>
    const deadline = Date.now() + 60_000;
    const size = (): number => (fs.existsSync(log) ? fs.readdirSync(log).filter((f) => f.endsWith('.log')).reduce((n, f) => n + fs.statSync(path.join(log, f)).size, 0) : 0);
    while (size() < 4 << 20) {
      if (Date.now() > deadline) throw new Error(`the capture wrote ${size()} bytes in 60 s; expected 4 MiB before killing the broker`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await stop(broker.child, 'SIGKILL');
    const failed = await sending;
    expect(failed.code, 'capture_send must fail when its broker dies').not.toBe(0);
    broker = await startBroker(dir, port);
    brokers.push(broker.child);
    const resumed = await send(['bk', String(big), '-w1', '--exactly-once', '--resume', '--brokers', broker.address]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = await recv(['bk', '1', '-w1', '--count', String(big), '--brokers', broker.address]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`content checked: 1 stream(s), each exactly the numbers 0..${big - 1}`);
  }, 180_000);
});
