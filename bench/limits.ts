/**
 * This machine's own limits, measured in the same run as the benchmarks they bound:
 * - loopback TCP between two Node processes with 1 MiB writes (what any Node broker's network path can do);
 * - sequential file append with 1 MiB writes through fs/promises (what any Node log's write path can do).
 * MB means 10^6 bytes throughout.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const MiB = 1 << 20;

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
    s.end();
  };
  pump();
});
`;

/** MB/s from one Node process to another over 127.0.0.1 with 1 MiB writes (best of `rounds`). */
export async function measureLoopbackTcp(totalBytes = 2 * 1024 * MiB, rounds = 2): Promise<number> {
  let best = 0;
  for (let r = 0; r < rounds; r++) best = Math.max(best, await loopbackOnce(totalBytes));
  return best;
}

function loopbackOnce(totalBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    let started = 0n;
    const server = net.createServer((sock) => {
      started = process.hrtime.bigint();
      sock.on('data', (d: Buffer) => (received += d.length));
      sock.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        server.close();
        resolve(received / 1e6 / seconds);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const child = spawn(process.execPath, ['-e', SENDER, String(port), String(totalBytes)], { stdio: 'inherit' });
      child.on('error', reject);
    });
  });
}

/** MB/s appending 1 MiB buffers to a new file in `dir` with fs/promises (page cache; no fsync). */
export async function measureFileAppend(dir: string, totalBytes = 2 * 1024 * MiB): Promise<number> {
  const file = path.join(dir, `append-limit-${process.pid}.tmp`);
  const chunk = Buffer.alloc(MiB, 7);
  const fh = await fs.promises.open(file, 'w');
  try {
    const started = process.hrtime.bigint();
    for (let written = 0; written < totalBytes; written += chunk.length) await fh.write(chunk, 0, chunk.length);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return totalBytes / 1e6 / seconds;
  } finally {
    await fh.close();
    await fs.promises.rm(file, { force: true });
  }
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
