/**
 * capture_recv <topic> <streams> [--count N] [--stall-report-ms MS] [-w N] [-n P] [-p I] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--http-port P] [--http-host H]
 *
 * Timely's kafkaesque example: replays the streams `<topic>-0 .. <topic>-<streams-1>` on the workers (stream i
 * on worker i % peers), counts the records per time, and prints `replayed: N` for every worker with data once
 * the global frontier has passed the time, then MB/s (8 bytes a number). It also checks what it replayed:
 * every stream must hold exactly the numbers 0..N-1 (`--count N`; without it, the same N for every stream),
 * else it names the stream and exits 1 (see stream-check.ts). When the frontier has not moved for 10 s
 * (`--stall-report-ms`), each worker says on stderr which of its streams hold it and why (replay's onStall).
 * With `--http-port`, each process's frontier is on /api/replay and /metrics (replay-http.ts).
 */
import { fromEvent, lastValueFrom, NEVER, takeUntil, tap } from 'rxjs';
import { openTransport, type TransportName } from '../src/transport/open-transport.js';
import { streamTopic } from '../src/transport/transport.js';
import { countPerTime } from '../src/dataflow/index.js';
import type { EventIterator } from '../src/transport/event-iterator.js';
import type { ProgressExchange } from '../src/replay/progress-exchange.js';
import { replay } from '../src/replay/replay.js';
import type { StallReport } from '../src/replay/stall-watch.js';
import { streamsOf, type WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import type { SecurityFlags } from '../src/client/security.js';
import { SECURITY_HELP, securityFromFlags, spanMs, mbPerSecond, parseExampleArgs, processCpuMicros, progressBars, takeNumberFlag, usage, withBrokers, isEntryPoint } from './common.js';
import { checkStreams, ReplayedStreams, type StreamDigest } from './stream-check.js';
import { brokerHttpSettings, HTTP_HELP, serveReplayHttp, takeHttpFlags } from './replay-http.js';

const HELP = `usage: capture_recv <topic> <streams> [--count N] [--stall-report-ms MS (default 10000)] [-w N] [-n P] [-p I] [-h hostfile] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] ${HTTP_HELP} [--security-protocol P --sasl-mechanism M --sasl-username U --sasl-password-file F --ssl-ca F]\n` + SECURITY_HELP;

interface RecvArgs {
  topic: string;
  streams: number;
  brokers: string[];
  transport: TransportName;
  /** Numbers per stream, when known: each stream must hold exactly 0..count-1. */
  count?: number;
  /** kcat-like TLS/SASL flags (see common.ts). */
  security?: SecurityFlags;
  /** No per-worker lines (benchmarks). */
  quiet?: boolean;
  /** Say on stderr why the frontier is stuck after this long (default 10,000 ms). */
  stallReportMs?: number;
}

interface RecvResult {
  replayed: number;
  /** What each of this worker's streams held (checked here already; main compares them across workers). */
  digests: StreamDigest[];
  /** Epoch ms when this worker started and finished moving data (startup excluded). */
  startedAt: number;
  endedAt: number;
  /** CPU µs of the whole process (every thread) at start and end, for CPU per MB (see cpuSpanMicros). */
  cpuAtStart: number;
  cpuAtEnd: number;
}

export interface ReplayCountOptions {
  /** Shares progress with the other replaying workers. */
  exchange?: ProgressExchange<number>;
  /** Called after each replayed batch with the numbers seen so far (progress bars). */
  onBatch?: (seen: number) => void;
  /** Called with each per-time count that countPerTime emits. */
  onCount?: (count: number) => void;
  /** Stops the replay early (Ctrl-C). */
  stop?: AbortSignal;
  /** Receives replay's report when the frontier has not moved for `stallAfterMs`. */
  onStall?: (report: StallReport<number>) => void;
  stallAfterMs?: number;
}

/**
 * capture_recv's replay pipeline, on one worker: replay → digest of each stream's numbers → countPerTime.
 * Returns how many numbers the counts add up to and what each stream held (see stream-check.ts).
 */
export async function replayAndCount(iterators: readonly EventIterator<number, number>[], options: ReplayCountOptions = {}): Promise<{ replayed: number; digests: StreamDigest[] }> {
  const contents = new ReplayedStreams();
  const tracked = iterators.map((it) => contents.track(it));
  let seen = 0;
  let replayed = 0;
  const { onBatch, onCount, stop } = options;
  await lastValueFrom(
    replay(tracked, { exchange: options.exchange, ...(options.onStall ? { onStall: options.onStall, stallAfterMs: options.stallAfterMs } : {}) }).pipe(
      tap((event) => {
        if (event.kind !== 'messages') return;
        contents.add(event);
        seen += event.data.length;
        onBatch?.(seen);
      }),
      countPerTime(),
      tap((event) => {
        if (event.kind !== 'messages') return;
        for (let i = 0; i < event.data.length; i++) {
          replayed += event.data[i] as number;
          onCount?.(event.data[i] as number);
        }
      }),
      takeUntil(stop ? fromEvent(stop, 'abort') : NEVER), // Ctrl-C: unsubscribe, which stops the replay and its readers
    ),
    { defaultValue: undefined },
  );
  return { replayed, digests: contents.results() };
}

/** Runs on every worker thread. */
export async function recvWorker(ctx: WorkerContext<RecvArgs>): Promise<RecvResult> {
  const { topic, streams, brokers, transport: name } = ctx.args;
  const transport = await openTransport({ transport: name, brokers, ...securityFromFlags(ctx.args.security ?? {}) });
  try {
    const iterators = streamsOf(ctx, streams).map((i) => {
      if (!ctx.args.quiet) console.log(`allocating consumer for topic "${streamTopic(topic, i)}"`);
      // Borrowed events: replayAndCount digests and counts each event before replay asks for the next, and
      // keeps none, so read buffers go straight back to the broker (IteratorOptions.borrow).
      return transport.iterator<number, number>(streamTopic(topic, i), { borrow: true });
    });
    const startedAt = Date.now();
    const cpuAtStart = processCpuMicros();
    let reported = 0;
    const { replayed, digests } = await replayAndCount(iterators, {
      exchange: ctx.exchange<number>('capture_recv'),
      // A progress report every 2^18 numbers: each is a message to the main thread.
      onBatch: (seen) => {
        if (seen - reported >= 0x40000) ctx.report((reported = seen));
      },
      onCount: ctx.args.quiet ? undefined : (count) => console.log(`replayed: ${count}`),
      stop: ctx.signal,
      onStall: (report) => process.stderr.write(`capture_recv: worker ${ctx.index}: ${report.message}\n`),
      stallAfterMs: ctx.args.stallReportMs ?? 10_000,
    });
    ctx.report(digests.reduce((n, d) => n + d.count, 0));
    const endedAt = Date.now();
    const cpuAtEnd = processCpuMicros();
    if (!ctx.signal.aborted) checkStreams(digests, ctx.args.count);
    return { replayed, digests, startedAt, endedAt, cpuAtStart, cpuAtEnd };
  } finally {
    await transport.close();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = takeNumberFlag(argv, '--count', HELP);
  const stallReportMs = takeNumberFlag(argv, '--stall-report-ms', HELP);
  if (stallReportMs === 0) usage(`--stall-report-ms must be positive\n${HELP}`);
  const httpFlags = takeHttpFlags(argv, HELP);
  const args = parseExampleArgs(argv, HELP);
  const [topic, streamsText] = args.positional;
  const streams = Number(streamsText);
  if (!topic || !Number.isInteger(streams) || streams < 0) usage(HELP);
  await withBrokers(args, async (brokers, ports, broker) => {
    const replayHttp = await serveReplayHttp(httpFlags, broker);
    const first = args.workers.process * args.workers.workers;
    const bars = await progressBars(0, Array.from({ length: args.workers.workers }, (_, i) => `worker ${first + i}`));
    try {
      const results = await execute<RecvResult, RecvArgs>(
        args.workers,
        { module: import.meta.url, export: 'recvWorker', args: { topic, streams, brokers, transport: args.transport, count, security: args.security, ...(stallReportMs ? { stallReportMs } : {}) } },
        // The ports reach the broker in this process (embedded transport); other transports ignore them.
        {
          onReport: (index, seen) => bars.update(index - first, seen as number),
          ports,
          // With -n > 1: which process holds a stuck frontier (the workers' own reports name only their streams).
          onMeshStall: (report) => process.stderr.write(`capture_recv: ${report.message}\n`),
          meshStallAfterMs: stallReportMs ?? 10_000,
          // With --http-port: the same per-process frontiers on /api/replay and /metrics.
          ...(replayHttp.meshFrontiers ? { meshFrontiers: replayHttp.meshFrontiers } : {}),
        },
      );
      bars.stop();
      // Each worker checked its own streams; across workers, every stream must hold the same numbers.
      const digests = results.flatMap((r) => r.digests);
      checkStreams(digests, count);
      const ms = spanMs(results);
      const records = results.reduce((n, r) => n + r.replayed, 0);
      console.log(`replayed ${records} numbers (${(records * 8 / 1e6).toFixed(1)} MB) from ${streams} stream(s) on ${results.length} worker(s) in ${(ms / 1000).toFixed(2)} s: ${mbPerSecond(records * 8, ms)} MB/s (${args.transport})`);
      console.log(`content checked: ${digests.length} stream(s), each exactly the numbers 0..${(count ?? digests[0]?.count ?? 0) - 1}`);
    } finally {
      bars.stop();
      await replayHttp.close();
    }
  }, brokerHttpSettings(httpFlags));
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(`capture_recv: ${error.message}`);
    process.exit(1);
  });
}
