import { spawn } from 'node:child_process';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { parseWorkerArgs, WorkerArgsError } from '../../src/workers/args.js';
import { streamsOf } from '../../src/workers/context.js';
import { execute, WorkerError } from '../../src/workers/execute.js';
import { PeerProcessError } from '../../src/workers/mesh-errors.js';
import { checkProtocol } from '../replay/helpers.js';
import { freeHosts } from './free-ports.js';

const jobs = new URL('./fixtures/jobs.ts', import.meta.url);

describe('worker args', () => {
  it('parses -w -n -p like Timely and leaves the rest', () => {
    const twoHosts = ['127.0.0.1:2101', '127.0.0.1:2102'];
    expect(parseWorkerArgs(['numbat', '-w', '5', '100', '-n', '2', '-p', '1', '--brokers', 'x:1'])).toEqual({
      config: { workers: 5, processes: 2, process: 1, hosts: twoHosts },
      rest: ['numbat', '100', '--brokers', 'x:1'],
    });
    expect(parseWorkerArgs(['--workers=3']).config.workers).toBe(3);
    // Timely's attached form, as the seed's `capture_send numbat 100000000 -w5`.
    expect(parseWorkerArgs(['numbat', '100', '-w5', '-n2', '-p1'])).toEqual({
      config: { workers: 5, processes: 2, process: 1, hosts: twoHosts },
      rest: ['numbat', '100'],
    });
    expect(() => parseWorkerArgs(['-w0'])).toThrowError(/at least 1/);
    expect(parseWorkerArgs([]).config).toEqual({ workers: 1, processes: 1, process: 0, hosts: ['127.0.0.1:2101'] });
    expect(() => parseWorkerArgs(['-w'])).toThrowError(WorkerArgsError);
    expect(() => parseWorkerArgs(['-w', '0'])).toThrowError(/at least 1/);
    expect(() => parseWorkerArgs(['-n', '2', '-p', '2'])).toThrowError(/between 0 and 1/);
  });

  it('assigns stream i to worker i % peers', () => {
    expect([0, 1, 2].map((index) => streamsOf({ index, peers: 3 }, 5))).toEqual([[0, 3], [1, 4], [2]]);
    expect(streamsOf({ index: 4, peers: 6 }, 3)).toEqual([]);
  });
});

describe('execute', { timeout: 120_000 }, () => {
  it('hands each worker the ports named in options.ports, and a service on the main thread answers there', async () => {
    const results = await execute(
      { workers: 2 },
      { module: jobs, export: 'askPort' },
      {
        ports: (index) => {
          const { port1, port2 } = new MessageChannel();
          port1.on('message', (n: number) => {
            port1.postMessage(n * 2 + 100);
            port1.close();
          });
          expect(index).toBeLessThan(2);
          return { doubler: port2 };
        },
      },
    );
    expect(results).toEqual([100, 102]);
  });

  it('runs the job on W threads with global indices and returns results in order (both processes of -n 2)', async () => {
    const hosts = await freeHosts(2);
    const run = (process: number) => execute({ workers: 3, processes: 2, process, hosts }, { module: jobs, export: 'identity', args: { tag: 'x' } });
    const [first, second] = await Promise.all([run(0), run(1)]);
    expect(first).toEqual([0, 1, 2].map((local) => ({ index: local, peers: 6, local, process: 0, tag: 'x' })));
    expect(second).toEqual([0, 1, 2].map((local) => ({ index: 3 + local, peers: 6, local, process: 1, tag: 'x' })));
  });

  it('a failing worker rejects the run, naming the worker, and stops the others', async () => {
    const run = execute({ workers: 3 }, { module: jobs, export: 'failOnOne' });
    await expect(run).rejects.toThrowError(WorkerError);
    await expect(run).rejects.toThrowError(/worker 1 failed: RangeError: worker one refuses/);
  });

  it('a failing worker in one process fails the other process too, with the reason', async () => {
    const hosts = await freeHosts(2);
    const run = (process: number) => execute({ workers: 1, processes: 2, process, hosts }, { module: jobs, export: 'failOnOne' });
    const [first, second] = await Promise.allSettled([run(0), run(1)]);
    expect(String((second as PromiseRejectedResult).reason)).toMatch(/^WorkerError: worker 1 failed: RangeError: worker one refuses/);
    expect((first as PromiseRejectedResult).reason).toBeInstanceOf(PeerProcessError);
    expect(String((first as PromiseRejectedResult).reason)).toMatch(
      new RegExp(`process 1 \\(${hosts[1]}\\) failed: WorkerError: worker 1 failed: RangeError: worker one refuses`),
    );
  });

  it('a missing export is an error', async () => {
    await expect(execute({ workers: 1 }, { module: jobs, export: 'nope' })).rejects.toThrowError(/no exported function "nope"/);
  });

  it('replay frontiers are global over the workers (one has more streams, one none)', async () => {
    const results = await execute<{ events: unknown[]; releasedAt: number; advancedAt: number }>(
      { workers: 3 },
      { module: jobs, export: 'globalFrontier', args: { streamsPerWorker: [1, 0, 2] } },
    );
    // No worker's frontier may move before the last stream (on worker 2) released time 0.
    const lastRelease = Math.max(...results.map((r) => r.releasedAt));
    for (const [w, r] of results.entries()) {
      expect(r.advancedAt).toBeGreaterThanOrEqual(lastRelease);
      expect(checkProtocol(r.events as never).at(-1)).toEqual([]); // intermediate steps may be compacted
      const data = (r.events as { kind: string }[]).filter((e) => e.kind === 'messages').length;
      expect(data).toBe([1, 0, 2][w]);
    }
  });

  it('replay frontiers are global over the workers of two processes (-n 2 over TCP, run side by side here)', async () => {
    const hosts = await freeHosts(2);
    const streamsPerWorker = [1, 0, 2, 1];
    const run = (process: number) =>
      execute<{ events: unknown[]; releasedAt: number; advancedAt: number }>(
        { workers: 2, processes: 2, process, hosts },
        { module: jobs, export: 'globalFrontier', args: { streamsPerWorker } },
      );
    const results = (await Promise.all([run(0), run(1)])).flat();
    // Worker 3 (process 1) releases time 0 last, 300 ms in: no worker of process 0 may move before that.
    const lastRelease = Math.max(...results.map((r) => r.releasedAt));
    expect(lastRelease).toBe(results[3]?.releasedAt);
    for (const [w, r] of results.entries()) {
      expect(r.advancedAt).toBeGreaterThanOrEqual(lastRelease);
      expect(checkProtocol(r.events as never).at(-1)).toEqual([]);
      expect((r.events as { kind: string }[]).filter((e) => e.kind === 'messages').length).toBe(streamsPerWorker[w]);
    }
  });

  it('Ctrl-C stops every worker cleanly and rejects', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/sigint-main.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if ((out.match(/waiting/g) ?? []).length === 2) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toContain('worker 0 stopped cleanly');
    expect(out).toContain('worker 1 stopped cleanly');
    expect(out).toContain('execute rejected: ExecutionStoppedError: interrupted (SIGINT)');
    void code; // tsx's own SIGINT relay may end the process by the signal after our handler ran
  });
});
