/**
 * capture_send <topic> <count> [-w N] [-n P] [-p I] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--type f64|u64] [--replace]
 *
 * Timely's kafkaesque example: each worker writes the numbers 0..count, in batches of 1,024 (8 bytes each), into
 * topic `<topic>-<worker index>`, then reports MB/s. Without --brokers it starts the embedded broker over
 * ./kafkaesque-data, so `capture_recv` can read the topics afterwards.
 */
import { isMainThread } from 'node:worker_threads';
import { captureFrom } from '../src/capture/capture.js';
import { openTransport, type TransportName } from '../src/capture/open-transport.js';
import { streamTopic } from '../src/capture/transport.js';
import { messages, type Event } from '../src/dataflow/event.js';
import type { WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import { spanMs, mbPerSecond, parseExampleArgs, progressBars, usage, withBrokers } from './common.js';

const HELP = 'usage: capture_send <topic> <count> [-w N] [-n P] [-p I] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--type f64|u64] [--replace]';
const BATCH = 1024;

interface SendArgs {
  topic: string;
  count: number;
  brokers: string[];
  transport: TransportName;
  type: 'f64' | 'u64';
  replace: boolean;
  /** No per-worker lines (benchmarks). */
  quiet?: boolean;
}

interface SendResult {
  records: number;
  /** Epoch ms when this worker started and finished moving data (startup excluded). */
  startedAt: number;
  endedAt: number;
}

/** Batches per allocation: batches are views into one larger array, so the numbers cost few allocations. */
const BATCHES_PER_BLOCK = 64;

async function* numbers(count: number, type: 'f64' | 'u64', onBatch: (done: number) => void, signal?: AbortSignal): AsyncGenerator<Event<number, number>> {
  let block: Float64Array | BigUint64Array | undefined;
  let used = BATCHES_PER_BLOCK;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    if (used === BATCHES_PER_BLOCK) {
      block = type === 'f64' ? new Float64Array(BATCH * BATCHES_PER_BLOCK) : new BigUint64Array(BATCH * BATCHES_PER_BLOCK);
      used = 0;
    }
    const batch = (block as Float64Array | BigUint64Array).subarray(used * BATCH, used * BATCH + n);
    used++;
    if (batch instanceof Float64Array) {
      for (let i = 0; i < n; i++) batch[i] = start + i;
    } else {
      for (let i = 0; i < n; i++) batch[i] = BigInt(start + i);
    }
    signal?.throwIfAborted(); // Ctrl-C: the capture fails (no final progress), the pusher closes
    yield messages(0, batch as unknown as ArrayLike<number>);
    if ((start / BATCH) % 256 === 0) onBatch(start + n);
  }
  onBatch(count);
}

/** Runs on every worker thread. */
export async function sendWorker(ctx: WorkerContext<SendArgs>): Promise<SendResult> {
  const { topic, count, brokers, transport: name, type, replace } = ctx.args;
  const stream = streamTopic(topic, ctx.index);
  if (!ctx.args.quiet) console.log(`allocating producer for topic "${stream}"`);
  const transport = await openTransport({ transport: name, brokers });
  try {
    const pusher = await transport.pusher<number, number>(stream, { replace });
    const startedAt = Date.now();
    const result = await captureFrom(numbers(count, type, (done) => ctx.report(done), ctx.signal), pusher);
    return { records: result.records, startedAt, endedAt: Date.now() };
  } finally {
    await transport.close();
  }
}

async function main(): Promise<void> {
  const args = parseExampleArgs(process.argv.slice(2), HELP);
  const [topic, countText] = args.positional;
  const count = Number(countText);
  if (!topic || !Number.isInteger(count) || count < 0) usage(HELP);
  await withBrokers(args, async (brokers, ports) => {
    const bars = await progressBars(count, Array.from({ length: args.workers.workers }, (_, i) => `${topic}-${args.workers.process * args.workers.workers + i}`));
    try {
      const results = await execute<SendResult, SendArgs>(
        args.workers,
        { module: import.meta.url, export: 'sendWorker', args: { topic, count, brokers, transport: args.transport, type: args.type, replace: args.replace } },
        // The ports reach the broker in this process (embedded transport); other transports ignore them.
        { onReport: (index, done) => bars.update(index - args.workers.process * args.workers.workers, done as number), ports },
      );
      bars.stop();
      const ms = spanMs(results);
      const records = results.reduce((n, r) => n + r.records, 0);
      console.log(`captured ${records} numbers (${(records * 8 / 1e6).toFixed(1)} MB) into ${results.length} topic(s) in ${(ms / 1000).toFixed(2)} s: ${mbPerSecond(records * 8, ms)} MB/s (${args.transport})`);
    } finally {
      bars.stop();
    }
  });
}

if (isMainThread) {
  main().catch((error: Error) => {
    console.error(`capture_send: ${error.message}`);
    process.exit(1);
  });
}
