/**
 * zstd decompression off the event loop. @bokuweb/zstd-wasm runs synchronously on the calling thread and
 * has no streaming API, so large zstd batches are inflated in one worker thread, started on first use.
 *
 * The worker's code is a short script evaluated in place (it loads the same zstd-wasm package by its
 * resolved path), so it needs no separate build output and works from the sources and from dist alike.
 * A wasm heap never shrinks: after a job that needed more than RETIRE_AFTER_BYTES the worker is stopped,
 * so its memory is returned, and the next job starts a fresh one.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A worker whose wasm heap grew past this is retired after the job (start-up costs ~30 ms). */
const RETIRE_AFTER_BYTES = 16 * 1024 * 1024;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = import(workerData.zstdUrl).then(async (m) => { const z = m.init ? m : m.default; await z.init(); return z; });
parentPort.on('message', async ({ id, data, capacity }) => {
  try {
    const z = await ready;
    const out = z.decompress(data, { defaultHeapSize: capacity });
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface Job {
  resolve(out: Buffer): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let nextId = 0;
const jobs = new Map<number, Job>();

function failAll(err: Error): void {
  for (const job of jobs.values()) job.reject(err);
  jobs.clear();
}

function startWorker(): Worker {
  const zstdUrl = pathToFileURL(createRequire(import.meta.url).resolve('@bokuweb/zstd-wasm')).href;
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { zstdUrl } });
  w.unref();
  w.on('message', (m: { id: number; out?: Uint8Array; error?: string }) => {
    const job = jobs.get(m.id);
    if (!job) return;
    jobs.delete(m.id);
    if (m.error !== undefined) job.reject(new Error(m.error));
    else job.resolve(Buffer.from(m.out!.buffer, m.out!.byteOffset, m.out!.byteLength));
    if (jobs.size === 0) w.unref();
  });
  w.on('error', (err) => {
    if (worker === w) worker = undefined;
    failAll(err);
  });
  w.on('exit', (code) => {
    if (worker === w) worker = undefined;
    failAll(new Error(`the zstd worker exited (${code})`));
  });
  return w;
}

/**
 * Inflates one zstd frame in the worker into at most `capacity` bytes. Rejects with zstd-wasm's error
 * message (which carries zstd's error code) when the frame does not fit or is corrupt.
 */
export function zstdInWorker(data: Buffer, capacity: number): Promise<Buffer> {
  const w = (worker ??= startWorker());
  const id = nextId++;
  w.ref(); // a job in flight keeps the process alive until it answers
  const done = new Promise<Buffer>((resolve, reject) => jobs.set(id, { resolve, reject }));
  // A copy of just these bytes (cloning a view would clone its whole backing buffer), moved, not cloned.
  const copy = new Uint8Array(data);
  w.postMessage({ id, data: copy, capacity }, [copy.buffer]);
  if (capacity > RETIRE_AFTER_BYTES) {
    const retire = (): void => {
      if (worker === w && jobs.size === 0) {
        worker = undefined;
        void w.terminate();
      }
    };
    done.then(retire, retire);
  }
  return done;
}
