/**
 * `npm run bench -- limits`: this machine's own limits, measured in the same run as the benchmarks they bound,
 * each with its CPU-seconds as well as its MB/s (MB means 10^6 bytes throughout):
 * - loopback TCP between two Node processes with 1 MiB writes (what any Node broker's network path can do);
 * - file append with 1 MiB writes through fs/promises in the workloads' own shapes: 5 files at once (capture
 *   writes 5 streams) and 1 file (broker produce into one partition), each cold and warm (below);
 * - page-cache read: reading back, with 1 MiB reads into one buffer, files just written (what replay of
 *   data just captured can do).
 *
 * Cold and warm. On a VM with free-page reporting (virtio balloon) the guest hands memory back to the host once it
 * has stayed free for a while (about 10 s here), and the first write into such memory faults it back in from
 * the host: 3–10× slower than writing into memory just freed (one run: 345 MB/s cold, then 4,036–4,111 warm).
 * So each append shape is measured twice: "cold" after an idle pause long enough for the memory freed so far to
 * be reported (KQ_LIMITS_IDLE_S, default 12 s), then "warm" at once, into the page cache the cold run's files
 * just gave back. A workload is compared with the case it meets: a run after a pause is cold.
 *
 * Sizes come from the environment so quick runs can use less:
 *   KQ_LIMITS_APPEND_BYTES    bytes per append measurement, split over its files (default 1 GiB)
 *   KQ_LIMITS_LOOPBACK_BYTES  bytes per loopback round (default 2 GiB)
 *   KQ_LIMITS_IDLE_S          the idle pause before each cold measurement (default 12 s; 0 skips it)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { measureAppendTwoInFlight } from './append-in-flight-limit.js';
import type { BenchRow } from './types.js';

const MiB = 1 << 20;
const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);

/** One measured limit: its name as rows cite it, its rate, and the CPU it took. */
export interface Limit {
  name: string;
  mbps: number;
  bytes: number;
  seconds: number;
  /** User + system CPU-seconds of every process taking part (thread pool included). */
  cpuSeconds: number;
}

/** The fields of a BenchRow that set it beside `limit`. */
export function against(limit: Limit): Pick<BenchRow, 'limit' | 'limitName'> {
  return { limit: limit.mbps, limitName: limit.name };
}

/** CPU-seconds this process used since `from` (a `process.cpuUsage()`), thread pool included. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/** The sender: a separate Node process writing `total` bytes in 1 MiB writes, respecting backpressure. */
const SENDER = `
const net = require('node:net');
const [port, total] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(${MiB}, 7);
const s = net.connect(port, '127.0.0.1', () => {
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!s.write(chunk)) return s.once('drain', pump);
    }
    s.end(() => {
      const u = process.cpuUsage();
      process.stdout.write(String((u.user + u.system) / 1e6));
    });
  };
  pump();
});
`;

/** Loopback TCP from one Node process to another over 127.0.0.1 with 1 MiB writes (best of `rounds`). */
export async function measureLoopback(totalBytes = 2 * 1024 * MiB, rounds = 2): Promise<Limit> {
  let best: Limit | undefined;
  for (let r = 0; r < rounds; r++) {
    const once = await loopbackOnce(totalBytes);
    if (!best || once.mbps > best.mbps) best = once;
  }
  return best!;
}

/** MB/s of the best loopback round (what the rows before issue 17 took). */
export async function measureLoopbackTcp(totalBytes = 2 * 1024 * MiB, rounds = 2): Promise<number> {
  return (await measureLoopback(totalBytes, rounds)).mbps;
}

function loopbackOnce(totalBytes: number): Promise<Limit> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let started = 0n;
    let cpu = process.cpuUsage();
    let receiver: { seconds: number; cpu: number } | undefined;
    let senderCpu: number | undefined;
    const finish = (): void => {
      if (!receiver || senderCpu === undefined) return;
      resolve({ name: 'loopback TCP', mbps: received / 1e6 / receiver.seconds, bytes: received, seconds: receiver.seconds, cpuSeconds: receiver.cpu + senderCpu });
    };
    const server = net.createServer((sock) => {
      started = process.hrtime.bigint();
      cpu = process.cpuUsage();
      sock.on('data', (d: Buffer) => (received += d.length));
      sock.on('end', () => {
        receiver = { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu: cpuSince(cpu) };
        server.close();
        finish();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const child = spawn(process.execPath, ['-e', SENDER, String(port), String(totalBytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', () => {
        senderCpu = Number(out) || 0;
        finish();
      });
      child.on('error', reject);
    });
  });
}

/**
 * Appends `totalBytes` in 1 MiB writes through fs/promises, split evenly over `files` new files in `dir`
 * written at once (each file strictly one write after another, as one log appends); page cache, no fsync.
 * Returns the limit and the files written, which the caller removes.
 */
export async function appendFiles(dir: string, files: number, totalBytes: number, name: string): Promise<{ limit: Limit; paths: string[] }> {
  const chunk = Buffer.alloc(MiB, 7);
  const perFile = Math.max(1, Math.round(totalBytes / files / MiB)) * MiB;
  const paths = Array.from({ length: files }, (_, i) => path.join(dir, `append-limit-${process.pid}-${i}-${Date.now()}.tmp`));
  const handles = await Promise.all(paths.map((p) => fs.promises.open(p, 'w')));
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      handles.map(async (fh) => {
        for (let written = 0; written < perFile; written += chunk.length) await fh.write(chunk, 0, chunk.length);
      }),
    );
  } finally {
    await Promise.all(handles.map((fh) => fh.close()));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = perFile * files;
  return { limit: { name, mbps: bytes / 1e6 / seconds, bytes, seconds, cpuSeconds: cpuSince(cpu) }, paths };
}

/** MB/s appending `totalBytes` to one new file in `dir` (the single figure the rows before issue 17 took). */
export async function measureFileAppend(dir: string, totalBytes = 2 * 1024 * MiB): Promise<number> {
  const { limit, paths } = await appendFiles(dir, 1, totalBytes, 'file append');
  await removeAll(paths);
  return limit.mbps;
}

/** Reads `paths` (just written, so in the page cache) one after another with 1 MiB reads into one buffer. */
export async function readFiles(paths: readonly string[], name = 'page-cache read'): Promise<Limit> {
  const buffer = Buffer.allocUnsafe(MiB);
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (const p of paths) {
    const fh = await fs.promises.open(p, 'r');
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name, mbps: bytes / 1e6 / seconds, bytes, seconds, cpuSeconds: cpuSince(cpu) };
}

/** The two-writes-in-flight append limit as a Limit (the file is removed by the measurement). */
async function twoInFlight(dir: string, totalBytes: number, name: string): Promise<Limit> {
  const r = await measureAppendTwoInFlight(dir, totalBytes);
  return { name, mbps: r.mbps, bytes: r.bytes, seconds: r.bytes / 1e6 / r.mbps, cpuSeconds: r.cpuSeconds };
}

const removeAll = (paths: readonly string[]): Promise<unknown> => Promise.all(paths.map((p) => fs.promises.rm(p, { force: true })));
const idle = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** The file limits of one append shape: cold after the idle pause, then warm; the warm files are returned. */
async function coldAndWarm(dir: string, files: number, totalBytes: number, idleSeconds: number, label: string): Promise<{ cold: Limit; warm: Limit; paths: string[] }> {
  await idle(idleSeconds);
  const cold = await appendFiles(dir, files, totalBytes, `cold ${label} append`);
  // Freed now, so the warm run writes into memory the guest still holds.
  await removeAll(cold.paths);
  const warm = await appendFiles(dir, files, totalBytes, `warm ${label} append`);
  return { cold: cold.limit, warm: warm.limit, paths: warm.paths };
}

export interface FileLimits {
  /** 5 files at once, as capture writes its 5 streams. */
  append5Cold: Limit;
  append5Warm: Limit;
  /** 1 file, as broker produce appends one partition. */
  append1Cold: Limit;
  append1Warm: Limit;
  /** 1 file with two positional writes in flight, as the broker's partition log writes (bench/append-in-flight-limit.ts). */
  append1TwoInFlightCold: Limit;
  append1TwoInFlightWarm: Limit;
  /** Reading back the 5 warm files from the page cache. */
  pageCacheRead: Limit;
}

export interface FileLimitOptions {
  appendBytes?: number;
  idleSeconds?: number;
}

/** The append and page-cache limits, measured in `dir` (a temporary directory when none is given). */
export async function measureFileLimits(dir?: string, options: FileLimitOptions = {}): Promise<FileLimits> {
  const appendBytes = options.appendBytes ?? env('KQ_LIMITS_APPEND_BYTES', 1024 * MiB);
  const idleSeconds = options.idleSeconds ?? env('KQ_LIMITS_IDLE_S', 12);
  const own = dir === undefined;
  const where = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kq-bench-limits-'));
  try {
    const five = await coldAndWarm(where, 5, appendBytes, idleSeconds, '5-file');
    let pageCacheRead: Limit;
    try {
      pageCacheRead = await readFiles(five.paths);
    } finally {
      await removeAll(five.paths);
    }
    const one = await coldAndWarm(where, 1, appendBytes, idleSeconds, '1-file');
    await removeAll(one.paths);
    await idle(idleSeconds);
    const twoCold = await twoInFlight(where, appendBytes, 'cold 1-file append, 2 writes in flight');
    const twoWarm = await twoInFlight(where, appendBytes, 'warm 1-file append, 2 writes in flight');
    return { append5Cold: five.cold, append5Warm: five.warm, append1Cold: one.cold, append1Warm: one.warm, append1TwoInFlightCold: twoCold, append1TwoInFlightWarm: twoWarm, pageCacheRead };
  } finally {
    if (own) fs.rmSync(where, { recursive: true, force: true });
  }
}

export interface MachineLimits extends FileLimits {
  loopback: Limit;
}

/** Every limit: loopback first (it leaves no page cache behind), then the file limits. */
export async function measureMachineLimits(dir?: string, options: FileLimitOptions & { loopbackBytes?: number; loopbackRounds?: number } = {}): Promise<MachineLimits> {
  const loopback = await measureLoopback(options.loopbackBytes ?? env('KQ_LIMITS_LOOPBACK_BYTES', 2 * 1024 * MiB), options.loopbackRounds ?? 2);
  return { loopback, ...(await measureFileLimits(dir, options)) };
}

const DESCRIPTIONS: Record<keyof MachineLimits, string> = {
  loopback: '2 Node processes, 1 MiB writes',
  append5Cold: '5 files at once, 1 MiB writes, after the idle pause; capture\'s shape',
  append5Warm: '5 files at once, 1 MiB writes, into memory just freed',
  append1Cold: '1 file, 1 MiB writes, after the idle pause; broker produce\'s shape',
  append1Warm: '1 file, 1 MiB writes, into memory just freed',
  append1TwoInFlightCold: '1 file, two 1 MiB positional writes in flight, after the idle pause; the broker log\'s shape',
  append1TwoInFlightWarm: '1 file, two 1 MiB positional writes in flight, into memory just freed',
  pageCacheRead: 'the 5 warm files read back, 1 MiB reads into one buffer',
};

/** A limit as a row of its own, its CPU-seconds in the note. */
export function limitRow(l: Limit, description: string): BenchRow {
  return {
    name: `${l.name} (${description})`,
    value: l.mbps,
    unit: 'MB/s',
    cpuSeconds: l.cpuSeconds,
    note: `${l.cpuSeconds.toFixed(2)} CPU-s for ${(l.bytes / 1e6).toFixed(0)} MB (${(l.cpuSeconds / (l.bytes / 1e9)).toFixed(2)} CPU-s/GB) in ${l.seconds.toFixed(2)} s`,
  };
}

/** One row per limit. */
export function limitRows(limits: MachineLimits): BenchRow[] {
  return (Object.keys(DESCRIPTIONS) as (keyof MachineLimits)[]).map((key) => limitRow(limits[key], DESCRIPTIONS[key]));
}

export default async function run(): Promise<BenchRow[]> {
  return limitRows(await measureMachineLimits());
}

/** The echo side: a separate Node process that sends every byte straight back. */
const ECHO = `
const net = require('node:net');
const s = net.connect(Number(process.argv[1]), '127.0.0.1', () => s.setNoDelay(true));
s.on('data', (d) => s.write(d));
s.on('end', () => s.end());
`;

/**
 * Round-trip latency between two Node processes over loopback at `rate` messages/s of 100 bytes, paced like
 * the broker latency benchmark: the floor under any produce→fetch latency on this machine right now.
 */
export async function measureLoopbackLatency(seconds = 5, rate = 1000): Promise<{ p50: number; p99: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const child = spawn(process.execPath, ['-e', ECHO, String(port)], { stdio: 'inherit' });
  const sock = await accepted;
  sock.setNoDelay(true);
  const total = seconds * rate;
  const sentAt: bigint[] = [];
  const samples: number[] = [];
  let received = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => {
      const now = process.hrtime.bigint();
      const before = Math.floor(received / 100);
      received += d.length;
      for (let i = before; i < Math.floor(received / 100); i++) samples.push(Number(now - sentAt[i]!) / 1e6);
      if (samples.length >= total) resolve();
    });
  });
  const msg = Buffer.alloc(100, 1);
  const started = process.hrtime.bigint();
  let sent = 0;
  const tick = (): void => {
    const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - started) / 1e9) * rate));
    while (sent < due) {
      sent++;
      sentAt.push(process.hrtime.bigint());
      sock.write(msg);
    }
    if (sent < total) setTimeout(tick, 1);
  };
  tick();
  await done;
  sock.end();
  server.close();
  await new Promise((resolve) => child.on('exit', resolve));
  samples.sort((a, b) => a - b);
  const pct = (p: number): number => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return { p50: pct(50), p99: pct(99) };
}
