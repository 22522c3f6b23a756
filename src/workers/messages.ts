/** Messages between execute() and its worker threads. */
import type { MessagePort } from 'node:worker_threads';

export interface WorkerStart {
  module: string;
  exportName: string;
  args: unknown;
  index: number;
  localIndex: number;
  peers: number;
  process: number;
  processes: number;
  workers: number;
  /** The BroadcastChannel of this run's progress exchange. */
  channel: string;
  /** Ports from `ExecuteOptions.ports`, by name (read with `workerPort`). */
  ports: Record<string, MessagePort>;
}

export type ToWorker = { type: 'start' } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'report'; value: unknown }
  | { type: 'result'; value: unknown }
  | { type: 'error'; error: { name: string; message: string; stack?: string } };
