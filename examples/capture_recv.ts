/**
 * capture_recv <topic> <streams> [-w N] [-n P] [-p I] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs]
 *
 * Timely's kafkaesque example: replays the streams `<topic>-0 .. <topic>-<streams-1>` on the workers (stream i
 * on worker i % peers), counts the records per time, and prints `replayed: N` for every worker with data once
 * the global frontier has passed the time, then MB/s (8 bytes a number).
 */
import { isMainThread } from 'node:worker_threads';
import { fromEvent, lastValueFrom, takeUntil, tap } from 'rxjs';
import { openTransport, type TransportName } from '../src/transport/open-transport.js';
import { streamTopic } from '../src/transport/transport.js';
import { countPerTime } from '../src/dataflow/index.js';
import { replay } from '../src/replay/replay.js';
import { streamsOf, type WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import { spanMs, mbPerSecond, parseExampleArgs, processCpuMicros, progressBars, usage, withBrokers } from './common.js';

const HELP = 'usage: capture_recv <topic> <streams> [-w N] [-n P] [-p I] [-h hostfile] [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs]';

interface RecvArgs {
  topic: string;
  streams: number;
  brokers: string[];
  transport: TransportName;
  /** No per-worker lines (benchmarks). */
  quiet?: boolean;
}

interface RecvResult {
  replayed: number;
  /** Epoch ms when this worker started and finished moving data (startup excluded). */
  startedAt: number;
  endedAt: number;
  /** CPU µs of the whole process (every thread) at start and end, for CPU per MB (see cpuSpanMicros). */
  cpuAtStart: number;
  cpuAtEnd: number;
}

/** Runs on every worker thread. */
export async function recvWorker(ctx: WorkerContext<RecvArgs>): Promise<RecvResult> {
  const { topic, streams, brokers, transport: name } = ctx.args;
  const transport = await openTransport({ transport: name, brokers });
  try {
    const iterators = streamsOf(ctx, streams).map((i) => {
      if (!ctx.args.quiet) console.log(`allocating consumer for topic "${streamTopic(topic, i)}"`);
      return transport.iterator<number, number>(streamTopic(topic, i));
    });
    const startedAt = Date.now();
    const cpuAtStart = processCpuMicros();
    let seen = 0;
    let replayed = 0;
    await lastValueFrom(
      replay(iterators, { exchange: ctx.exchange<number>('capture_recv') }).pipe(
        tap((event) => {
          if (event.kind !== 'messages') return;
          seen += event.data.length;
          if ((seen & 0x3ffff) < event.data.length) ctx.report(seen);
        }),
        countPerTime(),
        tap((event) => {
          if (event.kind === 'messages') {
            for (let i = 0; i < event.data.length; i++) {
              replayed += event.data[i] as number;
              if (!ctx.args.quiet) console.log(`replayed: ${event.data[i] as number}`);
            }
          }
        }),
        takeUntil(fromEvent(ctx.signal, 'abort')), // Ctrl-C: unsubscribe, which stops the replay and its readers
      ),
      { defaultValue: undefined },
    );
    ctx.report(seen);
    return { replayed, startedAt, endedAt: Date.now(), cpuAtStart, cpuAtEnd: processCpuMicros() };
  } finally {
    await transport.close();
  }
}

async function main(): Promise<void> {
  const args = parseExampleArgs(process.argv.slice(2), HELP);
  const [topic, streamsText] = args.positional;
  const streams = Number(streamsText);
  if (!topic || !Number.isInteger(streams) || streams < 0) usage(HELP);
  await withBrokers(args, async (brokers, ports) => {
    const first = args.workers.process * args.workers.workers;
    const bars = await progressBars(0, Array.from({ length: args.workers.workers }, (_, i) => `worker ${first + i}`));
    try {
      const results = await execute<RecvResult, RecvArgs>(
        args.workers,
        { module: import.meta.url, export: 'recvWorker', args: { topic, streams, brokers, transport: args.transport } },
        // The ports reach the broker in this process (embedded transport); other transports ignore them.
        { onReport: (index, seen) => bars.update(index - first, seen as number), ports },
      );
      bars.stop();
      const ms = spanMs(results);
      const records = results.reduce((n, r) => n + r.replayed, 0);
      console.log(`replayed ${records} numbers (${(records * 8 / 1e6).toFixed(1)} MB) from ${streams} stream(s) on ${results.length} worker(s) in ${(ms / 1000).toFixed(2)} s: ${mbPerSecond(records * 8, ms)} MB/s (${args.transport})`);
    } finally {
      bars.stop();
    }
  });
}

if (isMainThread) {
  main().catch((error: Error) => {
    console.error(`capture_recv: ${error.message}`);
    process.exit(1);
  });
}
