/** Hostfiles, frames and the mesh's setup: unreachable and mismatched processes fail with clear errors. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkerArgs, validateConfig, WorkerArgsError } from '../../src/workers/args.js';
import { execute } from '../../src/workers/execute.js';
import { parseHostfile } from '../../src/workers/hosts.js';
import { MeshSetupError } from '../../src/workers/mesh-errors.js';
import { encodeFrame, FrameDecoder, FrameTooLargeError, MESH_MAGIC, MESH_VERSION, type MeshFrame } from '../../src/workers/mesh-frames.js';
import { PeerProcessError } from '../../src/workers/mesh-errors.js';
import { freeHosts } from './free-ports.js';

const jobs = new URL('./fixtures/jobs.ts', import.meta.url);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-hosts-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function hostfile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('hostfile (-h, Timely\'s format)', () => {
  it('line p is process p; blank lines and # comments are skipped; extra lines are ignored', () => {
    const file = hostfile('ok', '# the run\n10.0.0.1:2101\n\n  10.0.0.2:2101  \n[::1]:2102\nnode4:7\n');
    expect(parseWorkerArgs(['-n', '3', '-p', '2', '-h', file, 'numbat']).config).toEqual({
      workers: 1,
      processes: 3,
      process: 2,
      hosts: ['10.0.0.1:2101', '10.0.0.2:2101', '[::1]:2102'],
    });
    expect(parseWorkerArgs(['-n2', `--hostfile=${file}`]).config.hosts).toEqual(['10.0.0.1:2101', '10.0.0.2:2101']);
    expect(parseWorkerArgs(['--hostfile', file, '-n', '2']).rest).toEqual([]);
  });

  it('without one, process p is at 127.0.0.1:(2101 + p) as in Timely', () => {
    expect(parseWorkerArgs(['-n', '3']).config.hosts).toEqual(['127.0.0.1:2101', '127.0.0.1:2102', '127.0.0.1:2103']);
  });

  it('errors say what is wrong and where', () => {
    expect(() => parseWorkerArgs(['-h'])).toThrowError(/-h needs a file/);
    expect(() => parseWorkerArgs(['-n', '2', '-h', path.join(dir, 'missing')])).toThrowError(/cannot read hostfile .*missing/);
    const short = hostfile('short', '10.0.0.1:2101\n');
    expect(() => parseWorkerArgs(['-n', '2', '-h', short])).toThrowError(/hostfile .*short has 1 address\(es\) but -n is 2/);
    expect(() => parseHostfile('10.0.0.1:2101\nnode2\n', 'hf')).toThrowError(/hf line 2: "node2" is not host:port/);
    expect(() => parseHostfile('node:99999\n', 'hf')).toThrowError(WorkerArgsError);
    expect(() => parseHostfile(':2101\n', 'hf')).toThrowError(/line 1/);
    const twice = hostfile('twice', 'a:1\na:1\n');
    expect(() => parseWorkerArgs(['-n', '2', '-h', twice])).toThrowError(/processes 0 and 1 share the address a:1/);
    expect(() => validateConfig({ workers: 1, processes: 3, hosts: ['a:1', 'b:1'] })).toThrowError(/2 address\(es\) but -n is 3/);
  });
});

describe('frames', () => {
  const frame: MeshFrame = { type: 'progress', messages: [{ name: 'x', from: 3, changes: [[0, -1], [[1, 2], 1], [5n, 1]] }, { name: 'y', from: 0, changes: [] }] };

  it('round-trip whole, split at every byte, and several per chunk', () => {
    const bytes = Buffer.concat([...encodeFrame(frame), ...encodeFrame({ type: 'done' })]);
    expect(new FrameDecoder().push(bytes)).toEqual([frame, { type: 'done' }]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const decoder = new FrameDecoder();
      expect([...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))]).toEqual([frame, { type: 'done' }]);
    }
  });

  it('an oversized length is refused from the header alone, before its body arrives', () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_000_000_000);
    expect(() => new FrameDecoder(1024).push(header)).toThrowError(FrameTooLargeError);
  });
});

describe('mesh setup', { timeout: 60_000 }, () => {
  it('an unreachable process is a MeshSetupError naming it and its address after the timeout', async () => {
    const hosts = await freeHosts(2); // nobody listens on process 0's address
    const started = Date.now();
    const run = execute({ workers: 1, processes: 2, process: 1, hosts }, { module: jobs, export: 'identity', args: { tag: 'x' } }, { connectTimeoutMs: 1000 });
    await expect(run).rejects.toThrowError(MeshSetupError);
    await expect(run).rejects.toThrowError(new RegExp(`could not reach process 0 at ${hosts[0]} \\(connect ECONNREFUSED`));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a process that never connects is named too', async () => {
    const hosts = await freeHosts(3);
    const run = execute({ workers: 1, processes: 3, process: 0, hosts }, { module: jobs, export: 'identity', args: { tag: 'x' } }, { connectTimeoutMs: 500 });
    await expect(run).rejects.toThrowError(new RegExp(`process 1 \\(${hosts[1]}\\) did not connect; process 2 \\(${hosts[2]}\\) did not connect`));
  });

  it('a peer started with other -n or -w is refused, and both ends say why', async () => {
    const hosts = await freeHosts(3);
    const job = { module: jobs, export: 'identity', args: { tag: 'x' } };
    const workers = await Promise.allSettled([
      execute({ workers: 1, processes: 2, process: 0, hosts }, job, { connectTimeoutMs: 20_000 }),
      execute({ workers: 2, processes: 2, process: 1, hosts }, job, { connectTimeoutMs: 20_000 }),
    ]);
    for (const outcome of workers) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/MeshSetupError: .*mismatched run: process 1 has -n 2 -w 2, process 0 has -n 2 -w 1/);
    }
    const processes = await Promise.allSettled([
      execute({ workers: 1, processes: 2, process: 0, hosts }, job, { connectTimeoutMs: 20_000 }),
      execute({ workers: 1, processes: 3, process: 1, hosts }, job, { connectTimeoutMs: 20_000 }),
    ]);
    expect(String((processes[0] as PromiseRejectedResult).reason)).toMatch(/mismatched run: process 1 has -n 3 -w 1, process 0 has -n 2 -w 1/);
  });

  it('a port held by another program is a clear listen error', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`;
    try {
      const [other] = await freeHosts(1);
      const run = execute({ workers: 1, processes: 2, process: 0, hosts: [taken, other as string] }, { module: jobs, export: 'identity', args: { tag: 'x' } });
      await expect(run).rejects.toThrowError(new RegExp(`process 0 cannot listen on ${taken}, its address in the hosts: .*EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });

  it('a foreign connection (not our hello, or a huge length) is dropped and the run still forms', async () => {
    const hosts = await freeHosts(2);
    const job = { module: jobs, export: 'identity', args: { tag: 'x' } };
    const first = execute({ workers: 1, processes: 2, process: 0, hosts }, job, { connectTimeoutMs: 20_000 });
    const [host, port] = (hosts[0] as string).split(':') as [string, string];
    const knock = async (bytes: Buffer) => {
      for (;;) {
        const socket = net.connect({ host, port: Number(port) });
        const closed = await new Promise<boolean>((resolve) => {
          socket.once('connect', () => socket.write(bytes));
          socket.once('close', () => resolve(true));
          socket.once('error', () => resolve(false));
        });
        socket.destroy();
        if (closed) return;
        await new Promise((r) => setTimeout(r, 100)); // not listening yet
      }
    };
    await knock(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await knock(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
    const second = execute({ workers: 1, processes: 2, process: 1, hosts }, job, { connectTimeoutMs: 20_000 });
    expect((await Promise.all([first, second])).flat().map((r) => (r as { index: number }).index)).toEqual([0, 1]);
  });
});

describe('a peer that breaks the protocol mid-run', { timeout: 60_000 }, () => {
  /** A hand-made process 1 of 2 (one worker each): connects, says hello and ready, waits for process 0's ready. */
  async function fakePeer(address: string): Promise<{ socket: net.Socket; frames: MeshFrame[]; goSilent(): void }> {
    const [host, port] = address.split(':') as [string, string];
    let socket: net.Socket;
    for (;;) {
      socket = net.connect({ host, port: Number(port) });
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('error', () => resolve(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100)); // not listening yet
    }
    const decoder = new FrameDecoder();
    const frames: MeshFrame[] = [];
    let answering = true;
    const send = (frame: MeshFrame) => socket.write(Buffer.concat(encodeFrame(frame)));
    socket.on('data', (chunk: Buffer) => {
      const got = decoder.push(chunk);
      frames.push(...got);
      if (answering && got.some((f) => f.type === 'ping')) send({ type: 'ping' }); // alive while process 0 starts
    });
    socket.on('error', () => {});
    send({ type: 'hello', magic: MESH_MAGIC, version: MESH_VERSION, process: 1, processes: 2, workers: 1 });
    send({ type: 'ready' });
    while (!frames.some((f) => f.type === 'ready')) await new Promise((r) => setTimeout(r, 20));
    expect(frames[0]).toMatchObject({ type: 'hello', process: 0 });
    return { socket, frames, goSilent: () => (answering = false) };
  }

  it('an oversized frame is refused from its length and fails the run, naming the process', async () => {
    const hosts = await freeHosts(2);
    const run = execute({ workers: 1, processes: 2, process: 0, hosts }, { module: jobs, export: 'failOnOne' }, { connectTimeoutMs: 20_000 });
    const { socket } = await fakePeer(hosts[0] as string);
    socket.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    await expect(run).rejects.toThrowError(PeerProcessError);
    await expect(run).rejects.toThrowError(new RegExp(`process 1 \\(${hosts[1]}\\) sent data this process cannot read \\(a frame of 4294967280 bytes is over the limit`));
    socket.destroy();
  });

  it('a peer that goes silent (no heartbeat, socket still open) fails the run after peerTimeoutMs', async () => {
    const hosts = await freeHosts(2);
    const run = execute({ workers: 1, processes: 2, process: 0, hosts }, { module: jobs, export: 'failOnOne' }, { connectTimeoutMs: 20_000, peerTimeoutMs: 800 });
    const { socket, frames, goSilent } = await fakePeer(hosts[0] as string);
    goSilent();
    const started = Date.now();
    await expect(run).rejects.toThrowError(new RegExp(`process 1 \\(${hosts[1]}\\) sent nothing for 800 ms`));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(frames.some((f) => f.type === 'ping')).toBe(true); // process 0 kept saying it is alive
    socket.destroy();
  });
});
