/** What a job running on a worker thread receives. */
import type { ProgressExchange } from '../replay/progress-exchange.js';

export interface WorkerContext<A = unknown> {
  /** Global worker index: process * workers + local index. Stream i belongs to worker i % peers. */
  readonly index: number;
  /** Workers over all processes. */
  readonly peers: number;
  readonly localIndex: number;
  readonly process: number;
  readonly processes: number;
  /** Worker threads in this process. */
  readonly workers: number;
  /** The arguments given to execute (structured-cloned). */
  readonly args: A;
  /** Aborted when the run stops (Ctrl-C, or another worker failed). */
  readonly signal: AbortSignal;
  /**
   * A progress exchange among all workers of the run, for `replay({ exchange })`: every worker that replays
   * must call it with the same name. Frontiers are then global over every worker of every process (with
   * processes > 1 the main threads relay the exchange over TCP).
   */
  exchange<T>(name: string): ProgressExchange<T>;
  /** Sends a progress report (structured-cloneable) to execute's `onReport`, e.g. for progress bars. */
  report(value: unknown): void;
}

/** A job: `export async function job(ctx: WorkerContext<A>): Promise<R>` in a module. */
export type Job<A = unknown, R = unknown> = (ctx: WorkerContext<A>) => R | Promise<R>;

/** A stream index and a worker: which streams of `streams` a worker replays (Timely's `i % peers == index`). */
export function streamsOf(ctx: { index: number; peers: number }, streams: number): number[] {
  const mine: number[] = [];
  for (let i = ctx.index; i < streams; i += ctx.peers) mine.push(i);
  return mine;
}
