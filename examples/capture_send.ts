/**
 * capture_send <topic> <count> [-w N] [-n P] [-p I] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--type f64|u64] [--replace]
 *              [--exactly-once [--resume] [--commit-bytes B] [--commit-ms MS]]
 *
 * Timely's kafkaesque example: each worker writes the numbers 0..count, in batches of 1,024 (8 bytes each), into
 * topic `<topic>-<worker index>`, then reports MB/s. Without --brokers it starts the embedded broker over
 * ./kafkaesque-data, so `capture_recv` can read the topics afterwards.
 *
 * --exactly-once captures in transactions, each committing the number of batches written so far; killed at
 * any moment (kill -9), the same command with --resume continues every stream after its last commit, and
 * capture_recv then replays each number exactly once.
 */
import { captureFrom } from '../src/capture/capture.js';
import { openTransport, type TransportName } from '../src/transport/open-transport.js';
import { streamTopic } from '../src/transport/transport.js';
import { messages, type Event } from '../src/dataflow/event.js';
import type { WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import type { SecurityFlags } from '../src/client/security.js';
import { SECURITY_HELP, securityFromFlags, spanMs, mbPerSecond, parseExampleArgs, processCpuMicros, progressBars, takeNumberFlag, usage, withBrokers, isEntryPoint } from './common.js';

const HELP =
  'usage: capture_send <topic> <count> [-w N] [-n P] [-p I] [-h hostfile] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--type f64|u64] [--replace]\n' +
  '                    [--exactly-once [--resume] [--commit-bytes B] [--commit-ms MS]] [--security-protocol P --sasl-mechanism M --sasl-username U --sasl-password-file F --ssl-ca F]\n' +
  '  --exactly-once    capture in transactions with the stream position (resumable after kill -9)\n' +
  '  --resume          continue the committed prefix of each stream (with --exactly-once)\n' +
  '  --commit-bytes B  commit every B bytes of events (default 67108864)\n' +
  '  --commit-ms MS    commit at the latest MS ms after the first uncommitted event (default 1000)\n' +
  SECURITY_HELP;

/** Test hook: a worker kills its whole process (SIGKILL) when its source reaches this batch number (after 300 ms for sends in flight to land). */
export const KILL_AT_ENV = 'KAFKAESQUE_TEST_CAPTURE_KILL_AT';
const BATCH = 1024;

interface SendArgs {
  topic: string;
  count: number;
  brokers: string[];
  transport: TransportName;
  type: 'f64' | 'u64';
  replace: boolean;
  /** kcat-like TLS/SASL flags (see common.ts). */
  security?: SecurityFlags;
  /** Transactions with the stream position (issue 12). */
  exactlyOnce?: boolean;
  resume?: boolean;
  commitBytes?: number;
  commitIntervalMs?: number;
  /** No per-worker lines (benchmarks). */
  quiet?: boolean;
}

interface SendResult {
  records: number;
  /** Epoch ms when this worker started and finished moving data (startup excluded). */
  startedAt: number;
  endedAt: number;
  /** CPU µs of the whole process (every thread) at start and end, for CPU per MB (see cpuSpanMicros). */
  cpuAtStart: number;
  cpuAtEnd: number;
}

/**
 * Batches per fill: batches are views into one block of 8 × 1,024 numbers, which each worker allocates once
 * and refills. Reusing it is safe because push() copies a batch before it returns (into the record batch
 * being built; the memory transport keeps a copy), and captureFrom asks the generator for the next batch
 * only after that. A fresh block per 8 batches cost 12.6% of capture's CPU in garbage collection and 3% in
 * zero-filling (issue 17).
 */
const BATCHES_PER_BLOCK = 8;

// Filling a whole block in a small function of its own: it is compiled after a few calls, where the same
// loop inside the generator ran interpreted for a good part of a short run (half the generator's CPU).
function fillF64(block: Float64Array, first: number): void {
  for (let i = 0; i < block.length; i++) block[i] = first + i;
}
function fillU64(block: BigUint64Array, first: number): void {
  for (let i = 0; i < block.length; i++) block[i] = BigInt(first + i);
}

async function* numbers(count: number, type: 'f64' | 'u64', onBatch: (done: number) => void, signal?: AbortSignal, fromBatch = 0, killAt = -1): AsyncGenerator<Event<number, number>> {
  const perBlock = BATCH * BATCHES_PER_BLOCK;
  const whole = type === 'f64' ? new Float64Array(perBlock) : new BigUint64Array(perBlock);
  let batch = fromBatch;
  for (let blockStart = fromBatch * BATCH; blockStart < count; blockStart += perBlock) {
    const size = Math.min(perBlock, count - blockStart);
    // The same memory every time: the batches yielded from it before were copied by push() already.
    const block = size === perBlock ? whole : whole.subarray(0, size);
    if (block instanceof Float64Array) fillF64(block, blockStart);
    else fillU64(block, blockStart);
    for (let at = 0; at < size; at += BATCH) {
      signal?.throwIfAborted(); // Ctrl-C: the capture fails (no final progress), the pusher closes
      if (batch++ === killAt) {
        // Let what was pushed reach the broker first, so the kill leaves commits and an open transaction behind.
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(process.pid, 'SIGKILL');
      }
      yield messages(0, block.subarray(at, Math.min(at + BATCH, size)) as unknown as ArrayLike<number>);
    }
    // A progress report every 256 batches: each is a message to the main thread.
    if ((blockStart / perBlock) % (256 / BATCHES_PER_BLOCK) === 0) onBatch(blockStart + size);
  }
  onBatch(count);
}

/** Runs on every worker thread. */
export async function sendWorker(ctx: WorkerContext<SendArgs>): Promise<SendResult> {
  const { topic, count, brokers, transport: name, type, replace, exactlyOnce, resume } = ctx.args;
  const stream = streamTopic(topic, ctx.index);
  if (!ctx.args.quiet) console.log(`allocating producer for topic "${stream}"`);
  const transport = await openTransport({ transport: name, brokers, ...securityFromFlags(ctx.args.security ?? {}) });
  try {
    const pusher = await transport.pusher<number, number>(stream, {
      replace,
      ...(exactlyOnce ? { exactlyOnce, resume: resume === true } : {}),
      ...(ctx.args.commitBytes !== undefined ? { commitBytes: ctx.args.commitBytes } : {}),
      ...(ctx.args.commitIntervalMs !== undefined ? { commitIntervalMs: ctx.args.commitIntervalMs } : {}),
    });
    const startedAt = Date.now();
    const cpuAtStart = processCpuMicros();
    const killAt = Number(process.env[KILL_AT_ENV] ?? -1);
    const report = (done: number): void => ctx.report(done);
    const result = exactlyOnce
      ? // Resumable: the committed position counts batches, so the source restarts at number position × 1,024.
        await captureFrom((position) => numbers(count, type, report, ctx.signal, position.events, killAt), pusher, { exactlyOnce: true, resume: resume === true })
      : await captureFrom(numbers(count, type, report, ctx.signal), pusher);
    return { records: result.records, startedAt, endedAt: Date.now(), cpuAtStart, cpuAtEnd: processCpuMicros() };
  } finally {
    await transport.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const exactlyOnce = takeSwitch(argv, '--exactly-once');
  const resume = takeSwitch(argv, '--resume');
  const commitBytes = takeNumberFlag(argv, '--commit-bytes', HELP);
  const commitIntervalMs = takeNumberFlag(argv, '--commit-ms', HELP);
  if (resume && !exactlyOnce) usage(`--resume continues an exactly-once capture: add --exactly-once\n${HELP}`);
  const args = parseExampleArgs(argv, HELP);
  const [topic, countText] = args.positional;
  const count = Number(countText);
  if (!topic || !Number.isInteger(count) || count < 0) usage(HELP);
  await withBrokers(args, async (brokers, ports) => {
    const bars = await progressBars(count, Array.from({ length: args.workers.workers }, (_, i) => `${topic}-${args.workers.process * args.workers.workers + i}`));
    try {
      const results = await execute<SendResult, SendArgs>(
        args.workers,
        {
          module: import.meta.url,
          export: 'sendWorker',
          args: {
            topic, count, brokers, transport: args.transport, type: args.type, replace: args.replace, security: args.security,
            ...(exactlyOnce ? { exactlyOnce, resume } : {}),
            ...(commitBytes !== undefined ? { commitBytes } : {}),
            ...(commitIntervalMs !== undefined ? { commitIntervalMs } : {}),
          },
        },
        // The ports reach the broker in this process (embedded transport); other transports ignore them.
        { onReport: (index, done) => bars.update(index - args.workers.process * args.workers.workers, done as number), ports },
      );
      bars.stop();
      const ms = spanMs(results);
      const records = results.reduce((n, r) => n + r.records, 0);
      const mode = exactlyOnce ? (resume ? ', exactly-once, resumed' : ', exactly-once') : '';
      console.log(`captured ${records} numbers (${(records * 8 / 1e6).toFixed(1)} MB) into ${results.length} topic(s) in ${(ms / 1000).toFixed(2)} s: ${mbPerSecond(records * 8, ms)} MB/s (${args.transport}${mode})`);
    } finally {
      bars.stop();
    }
  });
}

/** Removes every `flag` from argv; true if there was one. */
function takeSwitch(argv: string[], flag: string): boolean {
  let found = false;
  for (let i = argv.indexOf(flag); i >= 0; i = argv.indexOf(flag)) {
    argv.splice(i, 1);
    found = true;
  }
  return found;
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(`capture_send: ${error.message}`);
    process.exit(1);
  });
}
