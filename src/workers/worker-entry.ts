/**
 * The script every worker thread runs: open the progress exchange, wait until all workers (of every process) are ready, import
 * the job module and call the named export with the worker's context, then report the result or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { WorkerContext } from './context.js';
import { ExchangeHub } from './exchange.js';
import type { FromWorker, ToWorker, WorkerStart } from './messages.js';

const data = workerData as WorkerStart;
if (!parentPort) throw new Error('worker-entry runs only inside a worker thread started by execute()');
const port = parentPort;

const controller = new AbortController();
// Global index and peers: with several processes the main thread relays progress between them (exchange-relay.ts).
const hub = new ExchangeHub(data.channel, data.index, data.peers);
const send = (message: FromWorker): void => port.postMessage(message);

function serializeError(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

/** Imports the job before reporting ready, so every worker starts its job at the same moment (the barrier). */
async function load(): Promise<(ctx: WorkerContext) => unknown> {
  const url = data.module.startsWith('file:') ? data.module : pathToFileURL(data.module).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const job = mod[data.exportName];
  if (typeof job !== 'function') {
    throw new TypeError(`module ${data.module} has no exported function "${data.exportName}" to run on workers`);
  }
  return job as (ctx: WorkerContext) => unknown;
}

const loading = load();
loading.catch(() => {}); // reported when the run starts

async function run(): Promise<void> {
  try {
    const job = await loading;
    const ctx: WorkerContext = {
      index: data.index,
      peers: data.peers,
      localIndex: data.localIndex,
      process: data.process,
      processes: data.processes,
      workers: data.workers,
      args: data.args,
      signal: controller.signal,
      exchange: (name) => hub.exchange(name),
      report: (value) => send({ type: 'report', value }),
    };
    const value: unknown = await job(ctx);
    send({ type: 'result', value });
  } catch (error) {
    send({ type: 'error', error: serializeError(error) });
  } finally {
    hub.close();
    port.close();
  }
}

let started = false;
port.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    started = true;
    void run();
  } else if (message.type === 'stop') {
    controller.abort(new Error('the run was stopped'));
    // Stopped before the start (e.g. the other processes were unreachable): leave without running the job.
    if (!started) {
      hub.close();
      port.close();
    }
  }
});
void loading.finally(() => send({ type: 'ready' }));
