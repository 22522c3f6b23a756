/**
 * wordcount <input-topic> <output-topic> [-w N] [--brokers host:port,...] [--window 60s] [--slide 20s]
 *           [--max-out-of-orderness 5s] [--until-idle 5s] [--exactly-once]
 *
 * Issue 15's example: lines of UTF-8 text (record value; record timestamp = event time) are read with
 * fromKafka, split into lower-cased words, exchanged by word through the log (capture/exchange.ts: one stream
 * topic per worker, `<output>-words-<i>`), counted per sliding window on W worker threads and written with
 * toKafka. Each window and word becomes one output record: key = the word, value = {"start","end","word","count"}.
 * The busiest windows are printed and every count is checked against the same computation done in memory, and
 * the output topic is read back and checked to hold each (window, word) once.
 *
 * With --exactly-once both stages resume after a kill -9:
 * - stage 1 captures each exchange stream exactly-once with resumableFromKafka as its source: each commit
 *   holds the input offsets and frontier the stream's events came from, and a rerun continues every stream
 *   there. Each stream has a source of its own (reading the whole input, keeping its words): the streams commit
 *   in separate transactions, so each needs its own restart point;
 * - stage 2's sink (toKafka, exactlyOnce) commits, with its output, the replay position of each stream it
 *   reads (replayPositions) and its frontier; a rerun skips the data before those positions and drops the
 *   results at times the dead run committed.
 */
import { lastValueFrom, tap, type Observable } from 'rxjs';
import { Kafka, logLevel } from 'kafkajs';
import { fromKafka } from '../src/connectors/from-kafka.js';
import { toKafka } from '../src/connectors/to-kafka.js';
import { captureFrom } from '../src/capture/capture.js';
import { exchangeInto, exchangeTopics } from '../src/capture/exchange.js';
import { replayPositions } from '../src/connectors/replay-positions.js';
import { resumableFromKafka } from '../src/connectors/resumable-from-kafka.js';
import { flatMapData, slidingWindow, type Event } from '../src/dataflow/index.js';
import { partitionOf } from '../src/dataflow/key-partition.js';
import type { WindowResult } from '../src/dataflow/operators/internal/window-spec.js';
import { exchangeTopicsOf, replayExchange } from '../src/replay/exchange-replay.js';
import { replay } from '../src/replay/replay.js';
import { KafkaJsTransport } from '../src/transport/kafkajs/kafkajs-transport.js';
import { openTransport, type TransportName } from '../src/transport/open-transport.js';
import type { KafkaRecord } from '../src/transport/record-reader.js';
import type { WorkerContext } from '../src/workers/context.js';
import { execute } from '../src/workers/execute.js';
import { isEntryPoint, parseExampleArgs, usage, withBrokers } from './common.js';

const HELP = [
  'usage: npm run wordcount -- <input-topic> <output-topic> [-w N] [--brokers host:port,...] [--window 60s] [--slide 20s]',
  '                            [--max-out-of-orderness 5s] [--until-idle 5s] [--exactly-once] [--data-dir dir]',
  '  --window D                 sliding window size (default 60s); durations: 500ms, 5s, 2m, 1h or plain ms',
  '  --slide D                  how often a window starts (default 20s)',
  '  --max-out-of-orderness D   how far behind its partition a record may still arrive (default 5s)',
  '  --until-idle D             end once no input arrived for D: the frontier closes, every open window is emitted',
  '                             (default: run forever; without --brokers: 3s)',
  '  --exactly-once             exactly-once through both stages: killed (even with kill -9) and rerun with the same',
  '                             arguments, it resumes and the output holds each (window, word) once; the check then',
  '                             counts every input record (late ones too) against the whole output topic',
  '  --progress                 print each frontier whose results are durable (committed), per worker',
  'Without --brokers an embedded broker is started and a sample input is written to <input-topic> first.',
].join('\n');

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `60s` → 60000. Plain numbers are milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) usage(`${flag} needs a duration such as 500ms, 5s, 2m or 1h, got "${text}"\n${HELP}`);
  return Math.round(Number(m[1]) * UNIT[m[2] ?? 'ms']!);
}

/** Removes `flag value` / `flag=value` from argv, returning the last value. */
function takeFlag(argv: string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; ) {
    const arg = argv[i]!;
    if (arg === flag) {
      value = argv[i + 1] ?? usage(`${flag} needs a value\n${HELP}`);
      argv.splice(i, 2);
    } else if (arg.startsWith(`${flag}=`)) {
      value = arg.slice(flag.length + 1);
      argv.splice(i, 1);
    } else i++;
  }
  return value;
}

/** Words of a line: split on whitespace, lower-cased. */
export function wordsOf(line: string): string[] {
  return line.split(/\s+/).filter((w) => w.length > 0).map((w) => w.toLowerCase());
}

export interface WindowCount {
  start: number;
  end: number;
  word: string;
  count: number;
}

/** The same computation in memory: every (time, word) into each sliding window holding its time. */
export function countInMemory(words: Iterable<readonly [number, string]>, size: number, slide: number): Map<string, WindowCount> {
  const out = new Map<string, WindowCount>();
  for (const [t, word] of words) {
    const first = Math.max(0, Math.floor((t - size) / slide) + 1);
    for (let k = first; k * slide <= t; k++) {
      const start = k * slide;
      if (t >= start + size) continue;
      const id = `${start}\u0000${word}`;
      const c = out.get(id);
      if (c) c.count++;
      else out.set(id, { start, end: start + size, word, count: 1 });
    }
  }
  return out;
}

const idOf = (c: WindowCount): string => `${c.start}\u0000${c.word}`;

interface CountArgs {
  brokers: string[];
  transport: TransportName;
  exchangeTopic: string;
  streams: number;
  output: string;
  window: number;
  slide: number;
  exactlyOnce: boolean;
  progress: boolean;
}

/** The exactly-once sink's group (and transactional id) of worker `index` of `peers`: where its replay positions are committed. */
export function sinkGroup(output: string, index: number, peers: number): string {
  return `${output}-wordcount-${index}-of-${peers}`;
}

/** A worker: replays its share of the words, counts them per sliding window, writes each count with toKafka. */
export async function countWorker(ctx: WorkerContext<CountArgs>): Promise<WindowCount[]> {
  const a = ctx.args;
  const transport = await openTransport({ transport: a.transport, brokers: a.brokers });
  const sink = new KafkaJsTransport({ brokers: a.brokers });
  const written: WindowCount[] = [];
  const asCount = (r: WindowResult<string, number>): WindowCount => ({ start: r.window.start, end: r.window.end, word: r.key, count: r.value });
  try {
    const progress = ctx.peers > 1 ? { exchange: ctx.exchange<number>(a.exchangeTopic) } : {};
    // Exactly-once: the streams are read through positions the sink commits with its output.
    const positions = a.exactlyOnce
      ? replayPositions<string>(sinkGroup(a.output, ctx.index, ctx.peers), exchangeTopicsOf(a.exchangeTopic, a.streams, 1, ctx.index, ctx.peers).map((t) => transport.iterator<number, string>(t)))
      : undefined;
    const words = positions
      ? replay(positions.iterators, progress)
      : replayExchange<number, string>(transport, { topic: a.exchangeTopic, streams: a.streams, worker: ctx, ...(progress.exchange ? { progress: progress.exchange } : {}) });
    const counts = words.pipe(slidingWindow(a.window, a.slide, { key: (w: string) => w, aggregate: (n: number) => n + 1, seed: 0 })) as Observable<Event<number, WindowResult<string, number>>>;
    await lastValueFrom(
      counts.pipe(
        toKafka(a.output, { transport: sink, key: (r) => r.key, value: (r) => JSON.stringify(asCount(r)), ...(positions ? { source: positions, exactlyOnce: true } : {}) }),
        // toKafka passes each event on once it is written (exactly-once: committed).
        tap((event) => {
          if (event.kind === 'messages') for (const r of event.data as readonly WindowResult<string, number>[]) written.push(asCount(r));
          else if (a.progress) {
            const next = event.updates.find(([, d]) => d > 0)?.[0];
            process.stdout.write(`durable: worker ${ctx.index} results before ${next ?? 'the end'}\n`);
          }
        }),
      ),
      { defaultValue: undefined },
    );
    if (positions && positions.skipped.some((n) => n > 0)) process.stderr.write(`worker ${ctx.index} resumed: skipped the data of ${positions.skipped.join(', ')} committed event(s) per stream\n`);
    return written;
  } finally {
    await sink.close();
    await transport.close();
  }
}

/** The sample input: lines over ~10 minutes of event time, a little out of order, over 3 partitions. */
const SAMPLE = ['the quick brown fox', 'jumps over the lazy dog', 'The log is the database', 'stream  processing over the LOG', 'fox and dog and log'];
async function writeSample(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    // A rerun on the same data (an exactly-once resume after a kill) reads the input it had: no second sample.
    else if ((await admin.fetchTopicOffsets(topic)).some((p) => BigInt(p.high) > 0n)) return 0;
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const lines = 600;
  try {
    await producer.send({
      topic,
      acks: -1,
      // Line i at second i, up to 4 s late (within the default out-of-orderness of 5 s).
      messages: Array.from({ length: lines }, (_, i) => ({ partition: i % 3, value: SAMPLE[(i * 7) % SAMPLE.length]!, timestamp: String(i * 1000 + ((i * 37) % 5) * 1000) })),
    });
  } finally {
    await producer.disconnect();
  }
  return lines;
}

async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Every partition's end offset now: the output this run writes starts there. */
async function endOffsets(kafka: Kafka, topic: string): Promise<{ partition: number; offset: bigint }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: BigInt(p.high) }));
  } finally {
    await admin.disconnect();
  }
}

/** Reads what this run wrote to the output topic (from `from`), until it has been idle for a second. */
async function readOutput(transport: KafkaJsTransport, topic: string, from: { partition: number; offset: bigint }[]): Promise<WindowCount[]> {
  const out: WindowCount[] = [];
  await Promise.all(
    from.map(({ partition, offset }) =>
      lastValueFrom(
        fromKafka(topic, { transport, partitions: [{ topic, partition }], start: { offset }, stopWhenIdleMs: 1500, maxOutOfOrderness: Number.MAX_SAFE_INTEGER }).stream.pipe(
          tap((e) => {
            if (e.kind === 'messages') for (const r of e.data as readonly KafkaRecord[]) out.push(JSON.parse(r.value?.toString('utf8') ?? 'null') as WindowCount);
          }),
        ),
        { defaultValue: undefined },
      ),
    ),
  );
  return out;
}

export async function main(argv: readonly string[]): Promise<number> {
  const rest = [...argv];
  const window = parseDuration(takeFlag(rest, '--window') ?? '60s', '--window');
  const slide = parseDuration(takeFlag(rest, '--slide') ?? '20s', '--slide');
  const outOfOrderness = parseDuration(takeFlag(rest, '--max-out-of-orderness') ?? '5s', '--max-out-of-orderness');
  const idleText = takeFlag(rest, '--until-idle');
  const takeSwitch = (flag: string): boolean => {
    const found = rest.includes(flag);
    if (found) rest.splice(0, rest.length, ...rest.filter((a) => a !== flag));
    return found;
  };
  const exactlyOnce = takeSwitch('--exactly-once');
  const showProgress = takeSwitch('--progress');
  const args = parseExampleArgs(rest, HELP);
  const [input, output] = args.positional;
  if (!input || !output || args.positional.length > 2) usage(HELP);
  if (window <= 0 || slide <= 0) usage(`--window and --slide must be positive\n${HELP}`);
  if (args.workers.processes > 1) usage(`wordcount runs its workers in one process (-w N); -n is not supported\n${HELP}`);
  const untilIdle = idleText !== undefined ? parseDuration(idleText, '--until-idle') : args.brokers ? undefined : 3000;
  const W = args.workers.workers;

  return withBrokers(args, async (brokers, ports) => {
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'wordcount' });
    const transport = new KafkaJsTransport({ brokers });
    try {
      if (!args.brokers) {
        const wrote = await writeSample(kafka, input);
        process.stderr.write(wrote > 0 ? `wrote ${wrote} sample lines to ${input}\n` : `${input} already holds records: no sample written\n`);
      }
      await ensureTopic(kafka, output, W);
      // At-least-once checks what this run wrote; exactly-once the whole topic, which every run added to.
      const before = exactlyOnce ? (await endOffsets(kafka, output)).map((p) => ({ ...p, offset: 0n })) : await endOffsets(kafka, output);
      const exchangeTopic = `${output}-words`;
      const seen: [number, string][] = [];
      const started = Date.now();
      const feeding = exactlyOnce ? captureResumable(transport, input, exchangeTopic, W, outOfOrderness, untilIdle) : captureOnce(transport, input, exchangeTopic, W, outOfOrderness, untilIdle, seen);
      const counting = execute<WindowCount[], CountArgs>(
        args.workers,
        { module: import.meta.url, export: 'countWorker', args: { brokers, transport: args.transport, exchangeTopic, streams: W, output, window, slide, exactlyOnce, progress: showProgress } },
        ports ? { ports } : {},
      );
      const [captured, perWorker] = await Promise.all([feeding, counting]);
      const ms = Date.now() - started;
      const results = perWorker.flat();
      process.stdout.write(`${captured.words} words through ${W} stream(s) to ${W} worker(s), ${results.length} window counts in ${ms} ms; late records: ${captured.late}${exactlyOnce ? ' (this run)' : ''}\n`);
      const busiest = [...results].sort((a, b) => b.count - a.count || a.start - b.start || (a.word < b.word ? -1 : 1)).slice(0, 5);
      for (const c of busiest) process.stdout.write(`  [${c.start}, ${c.end}) ${c.word}: ${c.count}\n`);

      // Exactly-once: a resumed run saw only part of the input, so the oracle reads all of it.
      const expected = countInMemory(exactlyOnce ? await readInputWords(transport, input) : seen, window, slide);
      const problems: string[] = [];
      const compare = (what: string, got: WindowCount[]): void => {
        const byId = new Map<string, WindowCount>();
        for (const c of got) {
          if (byId.has(idOf(c))) problems.push(`${what}: window [${c.start}, ${c.end}) word "${c.word}" appears twice`);
          byId.set(idOf(c), c);
        }
        for (const [id, c] of expected) {
          const g = byId.get(id);
          if (!g) problems.push(`${what}: missing window [${c.start}, ${c.end}) word "${c.word}"`);
          else if (g.count !== c.count) problems.push(`${what}: window [${c.start}, ${c.end}) word "${c.word}" counted ${g.count}, in memory ${c.count}`);
        }
        for (const [id, c] of byId) if (!expected.has(id)) problems.push(`${what}: unexpected window [${c.start}, ${c.end}) word "${c.word}"`);
      };
      // A resumed exactly-once run's workers computed only the windows after the committed ones.
      if (!exactlyOnce) compare('workers', results);
      compare(`output topic ${output}`, await readOutput(transport, output, before));
      if (problems.length > 0) {
        process.stdout.write(`MISMATCH (${problems.length}):\n${problems.slice(0, 20).map((p) => `  ${p}`).join('\n')}\n`);
        return 1;
      }
      process.stdout.write(`OK: ${expected.size} window counts match the in-memory computation; ${output} holds each (window, word) once\n`);
      return 0;
    } finally {
      await transport.close();
    }
  });
}

/** Stage 1, at-least-once: one fromKafka source into the exchange's streams, recreated empty. */
async function captureOnce(transport: KafkaJsTransport, input: string, exchangeTopic: string, W: number, outOfOrderness: number, untilIdle: number | undefined, seen: [number, string][]): Promise<{ words: number; late: number }> {
  // The stream topics are recreated before any worker reads them, so no worker sees an older run's words.
  const pushers = await Promise.all(exchangeTopics(exchangeTopic, W).map((t) => transport.pusher<number, string>(t, { replace: true })));
  const source = fromKafka(input, { transport, maxOutOfOrderness: outOfOrderness, ...(untilIdle !== undefined ? { stopWhenIdleMs: untilIdle } : {}) });
  const captured = await lastValueFrom(
    source.stream.pipe(
      flatMapData((r: KafkaRecord) => wordsOf(r.value?.toString('utf8') ?? '')),
      tap((e) => {
        if (e.kind === 'messages') for (const w of e.data as readonly string[]) seen.push([e.time, w]);
      }),
      exchangeInto((w: string) => w, pushers),
    ),
  );
  return { words: captured.reduce((n, c) => n + c.records, 0), late: source.lateCount };
}

/**
 * Stage 1, exactly-once: each stream is a resumable capture of its own source (the whole input, its own words),
 * continuing its committed prefix from the input offsets and frontier committed with it.
 */
async function captureResumable(transport: KafkaJsTransport, input: string, exchangeTopic: string, W: number, outOfOrderness: number, untilIdle: number | undefined): Promise<{ words: number; late: number }> {
  const lates: (() => number)[] = [];
  const results = await Promise.all(
    exchangeTopics(exchangeTopic, W).map(async (topic, stream) => {
      const pusher = await transport.pusher<number, string>(topic, { exactlyOnce: true, resume: true });
      const source = resumableFromKafka<string>(input, {
        transport,
        maxOutOfOrderness: outOfOrderness,
        ...(untilIdle !== undefined ? { stopWhenIdleMs: untilIdle } : {}),
        map: (r) => wordsOf(r.value?.toString('utf8') ?? '').filter((w) => partitionOf(w, W) === stream),
        onSource: (s) => lates.push(() => s.lateCount),
      });
      return captureFrom(source, pusher, { exactlyOnce: true, resume: true });
    }),
  );
  return { words: results.reduce((n, c) => n + c.records, 0), late: Math.max(0, ...lates.map((l) => l())) };
}

/** Every input record's words at its timestamp (the exactly-once check's oracle). */
async function readInputWords(transport: KafkaJsTransport, topic: string): Promise<[number, string][]> {
  const out: [number, string][] = [];
  await lastValueFrom(
    fromKafka(topic, { transport, stopWhenIdleMs: 1500, maxOutOfOrderness: Number.MAX_SAFE_INTEGER }).stream.pipe(
      tap((e) => {
        if (e.kind === 'messages') for (const r of e.data as readonly KafkaRecord[]) for (const w of wordsOf(r.value?.toString('utf8') ?? '')) out.push([r.timestamp, w]);
      }),
    ),
    { defaultValue: undefined },
  );
  return out;
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`wordcount: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
