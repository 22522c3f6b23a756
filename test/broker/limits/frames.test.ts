/**
 * Request frames (issue 10): memory for a frame grows as its bytes arrive, not on the word of its 4-byte
 * size prefix; and an incomplete frame has a deadline counted from its first byte, which a client sending a
 * byte now and then does not extend. Both against a broker child process, read through /proc.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiVersions } from '../../../src/protocol/messages/api-versions.js';
import { startChildBroker, type ChildBroker } from '../child.js';
import { assertServes, RawClient, tempDir } from '../helpers.js';
import { descriptorsOf, MB } from './proc.js';

const started: Array<{ broker: ChildBroker; dir: string }> = [];
async function broker(args: string[]): Promise<ChildBroker> {
  const dir = tempDir();
  const b = await startChildBroker(['--data-dir', dir, ...args]);
  started.push({ broker: b, dir });
  return b;
}
afterEach(async () => {
  for (const { broker: b, dir } of started.splice(0)) {
    b.child.kill('SIGTERM');
    await b.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Writable anonymous address space (what malloc and Buffer allocations map, touched or not) and VmRSS of a
 * process, bytes. Not VmSize: that also counts reservations the runtime makes lazily (a WebAssembly module
 * reserves 10 GiB of inaccessible guard space), which would swamp the figure.
 */
function vm(pid: number): { size: number; rss: number } {
  let size = 0;
  for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const [range, perms, , , inode] = line.split(/\s+/);
    if (!range || !perms?.startsWith('rw') || inode !== '0') continue;
    const [start, end] = range.split('-').map((h) => parseInt(h, 16));
    size += end! - start!;
  }
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024;
  return { size, rss };
}

/** Waits until `check` holds, polling every 50 ms; fails with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connect(b: ChildBroker): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(b.port, b.host, () => resolve(s));
    s.once('error', reject);
  });
}

describe('request frames', () => {
  it('a size prefix claiming 100 MiB reserves nothing like 100 MiB: memory follows the bytes received', async () => {
    const b = await broker(['--partial-frame-timeout-ms', '5m']);
    const pid = b.child.pid!;
    const before = vm(pid);
    // 40 connections each announce a frame just under the 100 MiB request limit and send 20 KB of it.
    const claims = 40;
    const sockets = await Promise.all(Array.from({ length: claims }, () => connect(b)));
    for (const s of sockets) {
      s.on('error', () => {});
      const start = Buffer.alloc(4 + 20_000);
      start.writeInt32BE(100 * 1024 * 1024 - 1, 0);
      s.write(start);
    }
    // A request on another connection is answered after the broker has read what was sent before it.
    const probe = await RawClient.connect(b);
    await probe.request(ApiVersions, 0, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
    probe.close();
    const after = vm(pid);
    const grewBy = { size: after.size - before.size, rss: after.rss - before.rss };
    console.log(`40 × 100 MiB claimed: writable address space +${(grewBy.size / MB).toFixed(0)} MB, RSS +${(grewBy.rss / MB).toFixed(0)} MB`);
    // Before: +4 GB (each claim allocated at once, though not touched). Now ≤ 2 MiB per frame until more arrives.
    expect(grewBy.size).toBeLessThan(1000 * MB);
    expect(grewBy.rss).toBeLessThan(100 * MB);
    for (const s of sockets) s.destroy();
    expect(await assertServes(b)).toBeInstanceOf(Array);
  });

  it('an incomplete frame is closed at its deadline, however often the client sends one more byte', async () => {
    const b = await broker(['--partial-frame-timeout-ms', '1s']);
    const pid = b.child.pid!;
    const idleFds = descriptorsOf(pid);
    const s = await connect(b);
    s.on('error', () => {});
    const closed = new Promise<number>((resolve) => s.on('close', () => resolve(Date.now())));
    await until(() => descriptorsOf(pid) > idleFds, 'the broker holds the dribbling connection');
    // A frame of 200 bytes, sent one byte every 100 ms: never idle for long, never complete within 20 s.
    const head = Buffer.alloc(4);
    head.writeInt32BE(200, 0);
    s.write(head);
    const firstByte = Date.now();
    let sent = 0;
    const dribble = setInterval(() => {
      if (!s.destroyed) s.write(Buffer.from([sent++ & 0xff]));
    }, 100);
    try {
      const at = await Promise.race([closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`not closed ${Date.now() - firstByte} ms after the frame's first byte (${sent} bytes dribbled)`)), 10_000))]);
      const elapsed = at - firstByte;
      console.log(`dribbling client closed ${elapsed} ms after its frame's first byte, ${sent} bytes in`);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(sent).toBeGreaterThanOrEqual(5); // it kept sending until the end: an idle timer would never fire
    } finally {
      clearInterval(dribble);
    }
    await until(() => descriptorsOf(pid) <= idleFds, `the broker's descriptors are back to ${idleFds}`);
    expect(await assertServes(b)).toBeInstanceOf(Array);
  });
});
