/**
 * The mesh's shared secret (issue 13): processes prove to each other that they know it before any frame is
 * trusted. Real processes and real TCP: a process without the secret, or with another one, is refused with a
 * clear error; a run with it passes across two processes; a connection that never answers the challenge, or
 * answers it wrongly, is closed at a deadline and the run still forms. A mesh across non-loopback addresses
 * refuses to start without a secret. TLS with the secret, using a certificate made by openssl in the test.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWorkerArgs, WorkerArgsError } from '../../src/workers/args.js';
import { execute } from '../../src/workers/execute.js';
import { MESH_SECRET_ENV, newNonce, proof, secretFromEnv } from '../../src/workers/mesh-auth.js';
import { MeshSetupError } from '../../src/workers/mesh-errors.js';
import { encodeFrame, FrameDecoder, MESH_MAGIC, MESH_VERSION, type MeshFrame } from '../../src/workers/mesh-frames.js';
import { freeHosts } from './free-ports.js';

const jobs = new URL('./fixtures/jobs.ts', import.meta.url);
const main = new URL('./fixtures/mesh-main.ts', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-mesh-auth-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SECRET = 'a5b1c0ffee-mesh-secret-for-tests-0123456789';
const OTHER = 'another-secret-of-enough-length-9876543210';

/** One process of a run, as a child: resolves with its last line (`result ...` or `error ...`) and exit code. */
function runProcess(spec: Record<string, unknown>, secret: string | undefined): Promise<{ code: number | null; last: string; output: string }> {
  const env = { ...process.env };
  delete env[MESH_SECRET_ENV];
  if (secret !== undefined) env[MESH_SECRET_ENV] = secret;
  const child = spawn(process.execPath, ['--import', 'tsx', main, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      const lines = output.split('\n').filter((l) => /^(result|error) /.test(l));
      resolve({ code, last: lines.at(-1) ?? '', output });
    }),
  );
}

const spec = (hosts: string[], p: number, connectTimeoutMs = 30_000) => ({
  process: p,
  processes: 2,
  workers: 1,
  hosts,
  job: 'globalFrontier',
  args: { streamsPerWorker: [1, 1] },
  connectTimeoutMs,
});

describe('mesh secret: flags and environment', () => {
  it('--mesh-secret-file reads the secret (trailing newline trimmed); a short or missing one is refused', () => {
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, `${SECRET}\n`);
    expect(parseWorkerArgs(['-n', '2', '--mesh-secret-file', file]).config.meshSecret?.toString()).toBe(SECRET);
    expect(parseWorkerArgs([`--mesh-secret-file=${file}`, 'x']).rest).toEqual(['x']);
    fs.writeFileSync(path.join(dir, 'short'), 'abc\n');
    expect(() => parseWorkerArgs(['--mesh-secret-file', path.join(dir, 'short')])).toThrowError(/has 3 byte\(s\); use at least 16/);
    expect(() => parseWorkerArgs(['--mesh-secret-file', path.join(dir, 'absent')])).toThrowError(/cannot read the mesh secret file/);
    expect(() => parseWorkerArgs(['--mesh-secret-file'])).toThrowError(WorkerArgsError);
    expect(() => parseWorkerArgs(['--mesh-ssl-cert', file])).toThrowError(/needs both --mesh-ssl-cert and --mesh-ssl-key/);
    expect(secretFromEnv({ [MESH_SECRET_ENV]: SECRET })?.toString()).toBe(SECRET);
    expect(secretFromEnv({})).toBeUndefined();
    expect(() => secretFromEnv({ [MESH_SECRET_ENV]: 'short' })).toThrowError(/KAFKAESQUE_MESH_SECRET has 5 byte\(s\)/);
  });

  it('a mesh over a non-loopback address without a secret refuses to start, and says why', async () => {
    const [local] = await freeHosts(1);
    const run = execute({ workers: 1, processes: 2, process: 1, hosts: ['10.255.255.1:2101', local as string] }, { module: jobs, export: 'identity', args: { tag: 'x' } }, { connectTimeoutMs: 60_000 });
    await expect(run).rejects.toThrowError(MeshSetupError);
    await expect(run).rejects.toThrowError(/10\.255\.255\.1:2101, which is not a loopback address, and no mesh secret was given: .*--mesh-secret-file FILE or the environment variable KAFKAESQUE_MESH_SECRET/);
  });
});

describe('mesh secret across two processes', { timeout: 90_000 }, () => {
  it('with the same secret the run passes and progress crosses the processes', async () => {
    const hosts = await freeHosts(2);
    const [a, b] = await Promise.all([runProcess(spec(hosts, 0), SECRET), runProcess(spec(hosts, 1), SECRET)]);
    expect(a.last, a.output).toMatch(/^result /);
    expect(b.last, b.output).toMatch(/^result /);
    for (const r of [a, b]) {
      const [result] = JSON.parse(r.last.slice('result '.length)) as { advancedAt: number; releasedAt: number }[];
      // The frontier passed 0 only after both processes released it: process 1's release came over the mesh.
      expect(result!.advancedAt).toBeGreaterThan(0);
    }
    expect([a.code, b.code]).toEqual([0, 0]);
  });

  it('a process without the secret is refused with a clear error; the one with it names the refusal when it gives up', async () => {
    const hosts = await freeHosts(2);
    const [a, b] = await Promise.all([runProcess(spec(hosts, 0, 4000), SECRET), runProcess(spec(hosts, 1, 4000), undefined)]);
    expect(b.last).toMatch(new RegExp(`^error MeshSetupError: process 0 \\(${hosts[0]}\\) refused this process: process 0 requires the run's mesh secret and process 1 sent no challenge`));
    expect(a.last).toMatch(/^error MeshSetupError: process 0 gave up after 4000 ms: process 1 .* did not connect; refused 1 connection\(s\): process 0 requires the run's mesh secret/);
    expect([a.code, b.code]).toEqual([1, 1]);
  });

  it('a process with another secret is refused: neither side accepts the other\'s proof', async () => {
    const hosts = await freeHosts(2);
    const [a, b] = await Promise.all([runProcess(spec(hosts, 0, 4000), SECRET), runProcess(spec(hosts, 1, 4000), OTHER)]);
    expect(b.last).toMatch(new RegExp(`^error MeshSetupError: process 0 \\(${hosts[0]}\\) could not prove that it knows this run's mesh secret: the processes were given different secrets`));
    expect(a.last).toMatch(/gave up after 4000 ms: .*refused 1 connection\(s\): process 0 refused a connection claiming to be process 1: it did not prove that it knows the mesh secret/);
  });

  it('a process with a secret and one without, the other way round: the dialer with the secret says why', async () => {
    const hosts = await freeHosts(2);
    const [a, b] = await Promise.all([runProcess(spec(hosts, 0, 4000), undefined), runProcess(spec(hosts, 1, 4000), SECRET)]);
    expect(a.last).toMatch(/^error MeshSetupError: process 1 has a mesh secret and process 0 has none/);
    expect(b.last).toMatch(/^error MeshSetupError: process 0 \(.*\) refused this process: process 1 has a mesh secret and process 0 has none/);
  });
});

/** A raw connection to a mesh address, retried until it listens; collects the frames it receives. */
async function rawPeer(address: string): Promise<{ socket: net.Socket; frames: MeshFrame[]; closed: Promise<number>; send(frame: MeshFrame): void }> {
  const [host, port] = address.split(':') as [string, string];
  for (;;) {
    const socket = net.connect({ host, port: Number(port) });
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (!ok) {
      await new Promise((r) => setTimeout(r, 100)); // not listening yet
      continue;
    }
    const decoder = new FrameDecoder();
    const frames: MeshFrame[] = [];
    socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    return { socket, frames, closed, send: (frame) => socket.write(Buffer.concat(encodeFrame(frame))) };
  }
}

const hello = (extra: Partial<MeshFrame> = {}): MeshFrame =>
  ({ type: 'hello', magic: MESH_MAGIC, version: MESH_VERSION, process: 1, processes: 2, workers: 1, ...extra }) as MeshFrame;

describe('hostile connections to a process with a secret', { timeout: 60_000 }, () => {
  const secret = Buffer.from(SECRET);
  const job = { module: jobs, export: 'identity', args: { tag: 'x' } };

  it('one that takes the challenge and never answers is closed at the handshake deadline; the run still forms', async () => {
    const hosts = await freeHosts(2);
    const first = execute({ workers: 1, processes: 2, process: 0, hosts, meshSecret: secret }, job, { connectTimeoutMs: 30_000, handshakeTimeoutMs: 400 });
    const stalling = await rawPeer(hosts[0] as string);
    const silent = await rawPeer(hosts[0] as string); // says nothing at all
    const connectedAt = Date.now();
    stalling.send(hello({ nonce: newNonce() }));
    const [stalledClose, silentClose] = await Promise.all([stalling.closed, silent.closed]);
    // The hello got a challenge back, but nothing of the run (no 'ready', no progress) ever reached it.
    expect(stalling.frames.map((f) => f.type)).toEqual(['hello']);
    expect(silent.frames).toEqual([]);
    for (const at of [stalledClose, silentClose]) {
      expect(at - connectedAt).toBeGreaterThanOrEqual(300);
      expect(at - connectedAt).toBeLessThan(5000);
    }
    const second = execute({ workers: 1, processes: 2, process: 1, hosts, meshSecret: secret }, job, { connectTimeoutMs: 30_000 });
    expect((await Promise.all([first, second])).flat().map((r) => (r as { index: number }).index)).toEqual([0, 1]);
  });

  it('a wrong proof, a missing challenge, or hostile bytes are closed at once with a reason, before any frame is trusted', async () => {
    const hosts = await freeHosts(2);
    const first = execute({ workers: 1, processes: 2, process: 0, hosts, meshSecret: secret }, job, { connectTimeoutMs: 30_000 });

    const guesser = await rawPeer(hosts[0] as string);
    const nonce = newNonce();
    guesser.send(hello({ nonce }));
    while (guesser.frames.length === 0) await new Promise((r) => setTimeout(r, 20));
    const challenge = guesser.frames[0] as { nonce: Uint8Array };
    // A proof made with another secret; then a 'ready' that must never be believed.
    guesser.send({ type: 'auth', proof: proof(Buffer.from(OTHER), 'dial', nonce, challenge.nonce, Buffer.alloc(0)) });
    guesser.send({ type: 'ready' });
    await guesser.closed;
    expect(guesser.frames.at(-1)).toMatchObject({ type: 'reject', reason: expect.stringMatching(/did not prove that it knows the mesh secret/) });

    // The accepting side's own proof replayed as the dialer's proof: a different label, refused.
    const reflector = await rawPeer(hosts[0] as string);
    const nonce2 = newNonce();
    reflector.send(hello({ nonce: nonce2 }));
    while (reflector.frames.length === 0) await new Promise((r) => setTimeout(r, 20));
    reflector.send({ type: 'auth', proof: (reflector.frames[0] as { proof: Uint8Array }).proof });
    await reflector.closed;
    expect(reflector.frames.at(-1)).toMatchObject({ type: 'reject' });

    const plain = await rawPeer(hosts[0] as string);
    plain.send(hello());
    plain.send({ type: 'ready' });
    await plain.closed;
    expect(plain.frames).toEqual([{ type: 'reject', reason: expect.stringMatching(/requires the run's mesh secret and process 1 sent no challenge/) }]);

    const garbage = await rawPeer(hosts[0] as string);
    garbage.socket.write(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1, 0xff, 0xff, 0xff, 0xff]));
    await garbage.closed;

    const second = execute({ workers: 1, processes: 2, process: 1, hosts, meshSecret: secret }, job, { connectTimeoutMs: 30_000 });
    expect((await Promise.all([first, second])).flat().map((r) => (r as { index: number }).index)).toEqual([0, 1]);
  });
});

describe('refusals while waiting', { timeout: 60_000 }, () => {
  it('are counted, but only the last 3 distinct reasons are kept for the error (knocking cannot grow memory)', async () => {
    const hosts = await freeHosts(2);
    const run = execute({ workers: 1, processes: 2, process: 0, hosts, meshSecret: Buffer.from(SECRET) }, { module: jobs, export: 'identity', args: { tag: 'x' } }, { connectTimeoutMs: 4000, handshakeTimeoutMs: 300 });
    run.catch(() => {});
    for (let i = 0; i < 8; i++) {
      const peer = await rawPeer(hosts[0] as string);
      if (i % 4 === 0) peer.send(hello());
      else if (i % 4 === 1) peer.socket.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
      else if (i % 4 === 2) peer.send(hello({ nonce: newNonce() })); // then silent: closed at the handshake deadline
      else peer.send({ type: 'ready' });
      await peer.closed;
    }
    const error = (await run.then(() => undefined, (e: Error) => e))!;
    const refusals = /refused (\d+) connection\(s\): (.*)\. Start every/.exec(error.message);
    expect(refusals, error.message).not.toBeNull();
    expect(Number(refusals![1])).toBe(8);
    expect(refusals![2]!.split('; ').length).toBe(3);
  });
});

describe('mesh over TLS with the secret', { timeout: 60_000 }, () => {
  it('two processes connect over TLS (certificate verified against the CA) and run', async () => {
    const key = path.join(dir, 'mesh.key');
    const cert = path.join(dir, 'mesh.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=kafkaesque-mesh'], { stdio: 'ignore' });
    const hosts = await freeHosts(2);
    const args = (p: number) => parseWorkerArgs(['-n', '2', '-p', String(p), '--mesh-ssl-cert', cert, '--mesh-ssl-key', key, '--mesh-ssl-ca', cert]).config;
    const meshTls = args(0).meshTls;
    expect(meshTls?.ca).toBeDefined();
    // A plain-TCP peer on the TLS port is refused by the TLS layer and never gets a hello.
    const job = { module: jobs, export: 'identity', args: { tag: 'tls' } };
    const first = execute({ workers: 1, processes: 2, process: 0, hosts, meshSecret: Buffer.from(SECRET), meshTls }, job, { connectTimeoutMs: 30_000 });
    const plain = await rawPeer(hosts[0] as string);
    plain.send(hello({ nonce: newNonce() }));
    await plain.closed;
    expect(plain.frames).toEqual([]);
    const second = execute({ workers: 1, processes: 2, process: 1, hosts, meshSecret: Buffer.from(SECRET), meshTls }, job, { connectTimeoutMs: 30_000 });
    expect((await Promise.all([first, second])).flat().map((r) => (r as { tag: string; index: number }).index)).toEqual([0, 1]);
  });
});
