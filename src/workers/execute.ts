/**
 * execute: runs a job on W worker threads of this process, as Timely's `execute_from_args`. Worker i of
 * process p has index p*W + i among peers = W * processes; stream s belongs to worker s % peers.
 *
 * Functions cannot cross threads, so the job is a module path plus an export name. The worker script is
 * the compiled .js next to this file, or the .ts source under tsx/vitest (then workers load tsx too).
 * Results come back in worker order; the first failure aborts the others and rejects. Ctrl-C (SIGINT) asks
 * every worker to stop (their `signal` aborts), terminates stragglers after a grace period, and rejects.
 *
 * With processes > 1 the main thread also connects to every other process (process-coordinator.ts): workers
 * start once all processes are ready, progress exchanges span every process, and a process that fails or
 * vanishes fails the run everywhere.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type MessagePort } from 'node:worker_threads';
import { validateConfig, type ExecuteConfig, type MeshSecurityConfig } from './args.js';
import { secretFromEnv } from './mesh-auth.js';
import type { FromWorker, ToWorker, WorkerStart } from './messages.js';
import { ProcessCoordinator } from './process-coordinator.js';
import type { ExchangeFrontier, MeshStallReport } from './mesh-frontiers.js';

export interface JobSpec<A = unknown> {
  /** Path or file: URL of the module exporting the job. */
  module: string | URL;
  /** The export to call (default "default"). */
  export?: string;
  /** Structured-cloneable arguments handed to every worker as `ctx.args`. */
  args?: A;
}

export interface ExecuteOptions {
  /** How long stopped workers get to finish before they are terminated (default 2,000 ms). */
  stopGraceMs?: number;
  /** Handle SIGINT by stopping the workers (default true). */
  handleSigint?: boolean;
  /** Receives what workers pass to `ctx.report(value)`. */
  onReport?: (index: number, value: unknown) => void;
  /**
   * MessagePorts handed to each worker (transferred), by name: a worker reads them with `workerPort(name)`.
   * This is how a service living on the main thread (e.g. the embedded broker's in-process link) reaches jobs.
   */
  ports?: (workerIndex: number) => Record<string, MessagePort>;
  /**
   * With processes > 1: how long to wait for every other process to be reachable and connected before failing
   * with a MeshSetupError naming the missing ones (default 60,000 ms).
   */
  connectTimeoutMs?: number;
  /** With processes > 1: the largest frame accepted from another process (default 64 MiB), checked before buffering. */
  maxFrameBytes?: number;
  /**
   * With processes > 1: another process that sends nothing, not even its heartbeat, for this long fails the run
   * with a PeerProcessError (a frozen machine or a partition closes no socket). Default 30,000 ms.
   */
  peerTimeoutMs?: number;
  /** With processes > 1: how long a mesh connection gets to finish its handshake (TLS, hello, proofs). Default 10,000 ms. */
  handshakeTimeoutMs?: number;
  /**
   * With processes > 1: called when no progress exchange's frontier has changed for `meshStallAfterMs` (default
   * 10,000 ms) while one is unfinished, with every process's frontier and the processes that hold it back.
   */
  onMeshStall?: (report: MeshStallReport) => void;
  meshStallAfterMs?: number;
  /** With processes > 1: receives a function returning every process's frontier per exchange (e.g. for an HTTP endpoint). */
  meshFrontiers?: (read: () => ExchangeFrontier[]) => void;
}

/** A worker failed; carries its index and the original error's name, message and stack. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(readonly index: number, readonly causeName: string, message: string, readonly workerStack?: string) {
    super(`worker ${index} failed: ${causeName}: ${message}`);
  }
}

/** The run was stopped by Ctrl-C or by `stop()` before the workers finished. */
export class ExecutionStoppedError extends Error {
  override readonly name = 'ExecutionStoppedError';
}

const entryUrl = new URL(import.meta.url.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js', import.meta.url);

/**
 * Under tsx/vitest the worker must load TypeScript: a tiny eval'd bootstrap registers tsx's ESM hooks in the
 * worker (execArgv `--import tsx` does not reach worker threads on Node 20), then imports the entry.
 */
function tsxBootstrap(entry: URL): string {
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return (
    `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })` +
    `.catch((error) => { console.error('kafkaesque: worker bootstrap failed', error); process.exit(1); });`
  );
}

function modulePath(module: string | URL): string {
  return typeof module === 'string' ? module : module.href;
}

/**
 * `config` may also carry the mesh's security (MeshSecurityConfig, as parseWorkerArgs returns it); without a
 * `meshSecret` the environment variable KAFKAESQUE_MESH_SECRET is used when set.
 */
export async function execute<R = unknown, A = unknown>(config: ExecuteConfig & MeshSecurityConfig, job: JobSpec<A>, options: ExecuteOptions = {}): Promise<R[]> {
  const { workers, processes, process: processIndex, hosts } = validateConfig(config);
  const meshSecret = processes > 1 ? (config.meshSecret ?? secretFromEnv()) : undefined;
  const module = modulePath(job.module);
  const needsTsx = entryUrl.pathname.endsWith('.ts') || /\.[cm]?ts$/.test(module);
  const channel = `kafkaesque-exchange-${randomUUID()}`;
  const grace = options.stopGraceMs ?? 2000;
  const results: R[] = new Array(workers);
  const threads: Worker[] = [];

  return new Promise<R[]>((resolve, reject) => {
    let ready = 0;
    let failure: Error | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    const exited = new Set<number>();
    let settled = false;

    const startWorkers = (): void => {
      for (const thread of threads) thread.postMessage({ type: 'start' } satisfies ToWorker);
    };
    const coordinator =
      processes > 1
        ? new ProcessCoordinator(
            {
              hosts,
              process: processIndex,
              processes,
              workers,
              channel,
              connectTimeoutMs: options.connectTimeoutMs ?? 60_000,
              peerTimeoutMs: options.peerTimeoutMs,
              maxFrameBytes: options.maxFrameBytes,
              handshakeTimeoutMs: options.handshakeTimeoutMs,
              onStall: options.onMeshStall,
              stallAfterMs: options.meshStallAfterMs,
              frontiers: options.meshFrontiers,
              ...(meshSecret ? { secret: meshSecret } : {}),
              ...(config.meshTls ? { tls: config.meshTls } : {}),
            },
            { start: startWorkers, fail: (error) => stop(error) },
          )
        : undefined;
    // Single process: done when the workers are. Several: also when every process said 'done'.
    let finished = coordinator === undefined;
    let finishing = false;

    const stop = (reason: Error): void => {
      failure ??= reason;
      coordinator?.abort(failure);
      for (const [i, thread] of threads.entries()) if (!exited.has(i)) thread.postMessage({ type: 'stop' } satisfies ToWorker);
      stopTimer ??= setTimeout(() => {
        for (const [i, thread] of threads.entries()) if (!exited.has(i)) void thread.terminate();
      }, grace);
      stopTimer.unref();
      settle(); // when waiting for the other processes' 'done' (Ctrl-C then)
    };
    const onSigint = (): void => stop(new ExecutionStoppedError('interrupted (SIGINT): stopped all workers'));
    const handleSigint = options.handleSigint !== false;
    if (handleSigint) process.on('SIGINT', onSigint);

    const settle = (): void => {
      if (exited.size < workers || settled) return;
      if (!failure && !finished) {
        if (!finishing && coordinator) {
          finishing = true;
          void coordinator.finish().then(() => {
            finished = true;
            settle();
          });
        }
        return;
      }
      settled = true;
      if (handleSigint) process.off('SIGINT', onSigint);
      if (stopTimer) clearTimeout(stopTimer);
      coordinator?.close();
      if (failure) reject(failure);
      else resolve(results);
    };

    for (let local = 0; local < workers; local++) {
      const start: WorkerStart = {
        module,
        exportName: job.export ?? 'default',
        args: job.args,
        index: processIndex * workers + local,
        localIndex: local,
        peers: workers * processes,
        process: processIndex,
        processes,
        workers,
        channel,
        ports: options.ports?.(processIndex * workers + local) ?? {},
      };
      const transferList = Object.values(start.ports);
      const thread = needsTsx
        ? new Worker(tsxBootstrap(entryUrl), { eval: true, workerData: start, transferList })
        : new Worker(fileURLToPath(entryUrl), { workerData: start, transferList });
      threads.push(thread);
      let reported = false;
      thread.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          if (++ready < workers) return;
          if (coordinator) coordinator.workersReady();
          else startWorkers();
        } else if (message.type === 'report') {
          options.onReport?.(start.index, message.value);
        } else if (message.type === 'result') {
          reported = true;
          results[local] = message.value as R;
        } else {
          reported = true;
          const e = message.error;
          const error = new WorkerError(start.index, e.name, e.message, e.stack);
          if (e.stack) error.stack = `${error.name}: ${error.message}\n  in worker ${start.index}: ${e.stack}`;
          stop(error);
        }
      });
      thread.on('error', (error) => {
        reported = true;
        stop(new WorkerError(start.index, error.name, error.message, error.stack));
      });
      thread.on('exit', (code) => {
        exited.add(local);
        if (!reported) stop(failure ?? new WorkerError(start.index, 'Exit', `exited with code ${code} before reporting a result`));
        settle();
      });
    }
  });
}
