/**
 * pipeline [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs]
 *
 * A real RxJS dataflow through the log: a text stream (one line a second) is split over 3 capturing workers,
 * each capturing its lines into `words-<i>`; 2 replaying workers read the 3 streams back, split lines into
 * words, assign them to 60-second tumbling windows and count words per window, each window emitted once the
 * global frontier has passed it. The per-worker counts are merged and compared with the same dataflow run in
 * memory, without the log.
 */
import { lastValueFrom, tap, type Observable } from 'rxjs';
import { captureFrom } from '../src/capture/capture.js';
import { openTransport, type TransportName } from '../src/transport/open-transport.js';
import { streamTopic } from '../src/transport/transport.js';
import { aggregatePerTime, flatMapData, InputHandle, tumblingWindow, type Event } from '../src/dataflow/index.js';
import { replay } from '../src/replay/replay.js';
import { streamsOf, type WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import type { SecurityFlags } from '../src/client/security.js';
import { SECURITY_HELP, parseExampleArgs, securityFromFlags, withBrokers, isEntryPoint } from './common.js';

const HELP = 'usage: pipeline [--brokers host:port,...] [--data-dir dir] [--transport embedded|wire|kafkajs] [--security-protocol P --sasl-mechanism M --sasl-username U --sasl-password-file F --ssl-ca F]\n' + SECURITY_HELP;
const TOPIC = 'words';
const CAPTURE_WORKERS = 3;
const REPLAY_WORKERS = 2;
const LINES = 600;
const WINDOW = 60;
const VOCABULARY = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'log', 'stream', 'frontier', 'kafka'];

/** The text: line i is "spoken" at second i. A fixed pseudo-random sequence, so every run sees the same. */
function line(i: number): string {
  let state = (i + 1) * 0x9e3779b1;
  const next = (): number => {
    // mulberry32: a small, well-mixed generator
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return Array.from({ length: 3 + (i % 5) }, () => VOCABULARY[next() % VOCABULARY.length] as string).join(' ');
}

type WordCount = readonly [string, number];

/** The dataflow after the source: words, windows, counts per window. */
function wordCounts(lines: Observable<Event<number, string>>): Observable<Event<number, WordCount>> {
  return lines.pipe(
    flatMapData((text: string) => text.split(' ')),
    tumblingWindow(WINDOW),
    aggregatePerTime((word: string) => word, (count: number) => count + 1, 0),
  );
}

/** Feeds the lines of one capturing worker (i % workers == index) into a stream, one second at a time. */
function feed(input: InputHandle<number, string>, index: number, workers: number): void {
  for (let i = index; i < LINES; i += workers) {
    input.advanceTo(i);
    input.send([line(i)]);
  }
  input.close();
}

interface Args {
  brokers: string[];
  transport: TransportName;
  /** kcat-like TLS/SASL flags (see common.ts). */
  security?: SecurityFlags;
}

export async function captureWorker(ctx: WorkerContext<Args>): Promise<number> {
  const transport = await openTransport({ transport: ctx.args.transport, brokers: ctx.args.brokers, ...securityFromFlags(ctx.args.security ?? {}) });
  try {
    const input = new InputHandle<number, string>();
    const done = captureFrom(input.stream, await transport.pusher<number, string>(streamTopic(TOPIC, ctx.index), { replace: true }));
    feed(input, ctx.index, ctx.peers);
    return (await done).records;
  } finally {
    await transport.close();
  }
}

export async function replayWorker(ctx: WorkerContext<Args>): Promise<[number, string, number][]> {
  const transport = await openTransport({ transport: ctx.args.transport, brokers: ctx.args.brokers, ...securityFromFlags(ctx.args.security ?? {}) });
  try {
    const iterators = streamsOf(ctx, CAPTURE_WORKERS).map((i) => transport.iterator<number, string>(streamTopic(TOPIC, i)));
    const counts: [number, string, number][] = [];
    await lastValueFrom(
      wordCounts(replay(iterators, { exchange: ctx.exchange<number>('pipeline') })).pipe(
        tap((event) => {
          if (event.kind === 'messages') for (const [word, n] of Array.from(event.data)) counts.push([event.time, word, n]);
        }),
      ),
      { defaultValue: undefined },
    );
    return counts;
  } finally {
    await transport.close();
  }
}

function merge(rows: Iterable<readonly [number, string, number]>): Map<number, Map<string, number>> {
  const windows = new Map<number, Map<string, number>>();
  for (const [window, word, n] of rows) {
    const words = windows.get(window) ?? new Map<string, number>();
    words.set(word, (words.get(word) ?? 0) + n);
    windows.set(window, words);
  }
  return windows;
}

function render(windows: Map<number, Map<string, number>>): string[] {
  return [...windows.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([window, words]) => {
      const top = [...words.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      return `window ${String(window).padStart(3)}s–${window + WINDOW - 1}s: ${top.map(([w, n]) => `${w}=${n}`).join(' ')}`;
    });
}

async function inMemory(): Promise<string[]> {
  const input = new InputHandle<number, string>();
  const rows: [number, string, number][] = [];
  const done = lastValueFrom(
    wordCounts(input.stream).pipe(tap((e) => e.kind === 'messages' && Array.from(e.data).forEach(([w, n]) => rows.push([e.time, w, n])))),
    { defaultValue: undefined },
  );
  feed(input, 0, 1);
  await done;
  return render(merge(rows));
}

async function main(): Promise<void> {
  const args = parseExampleArgs(process.argv.slice(2), HELP);
  await withBrokers(args, async (brokers, ports) => {
    const job = { brokers, transport: args.transport, security: args.security };
    // The ports reach the broker in this process (embedded transport); other transports ignore them.
    const captured = await execute<number, Args>({ workers: CAPTURE_WORKERS }, { module: import.meta.url, export: 'captureWorker', args: job }, { ports });
    console.log(`captured ${captured.reduce((a, b) => a + b, 0)} lines into ${CAPTURE_WORKERS} streams (${captured.join(' + ')})`);
    const parts = await execute<[number, string, number][], Args>({ workers: REPLAY_WORKERS }, { module: import.meta.url, export: 'replayWorker', args: job }, { ports });
    console.log(`replayed on ${REPLAY_WORKERS} workers; word counts per ${WINDOW}-second window:`);
    const replayed = render(merge(parts.flat()));
    for (const row of replayed) console.log(row);
    const expected = await inMemory();
    const same = JSON.stringify(expected) === JSON.stringify(replayed);
    console.log(same ? 'same as in memory: yes' : 'same as in memory: NO');
    if (!same) process.exitCode = 1;
  });
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(`pipeline: ${error.message}`);
    process.exit(1);
  });
}
