/**
 * Issue 15's dataflow rows: `fromKafka → exchange → slidingWindow → output topic` in words/s, on an embedded
 * broker over TCP (kafkajs), with the exchange's capture throughput of the same run beside it. Two variants in
 * the same run, as `npm run wordcount` runs them:
 * - at-least-once: one fromKafka source captured into the exchange, replayExchange, toKafka (acks=all);
 * - exactly-once end to end: each stream a resumable exactly-once capture of its own resumableFromKafka source
 *   (the input is read once per stream), replay through replayPositions, toKafka with exactlyOnce (output and
 *   replay positions in one transaction per commit interval).
 *
 *   BENCH_DATAFLOW_KAFKA_LINES   input lines of 8 words (default 100,000; the tests use a few hundred)
 *   BENCH_DATAFLOW_IDLE_MS       the input ends once idle this long (default 5,000; not counted in the rows)
 *   BENCH_DATAFLOW_ONLY=kafka    run only these rows
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/broker/index.js';
import { captureFrom, type CaptureResult } from '../src/capture/capture.js';
import { exchangeInto, exchangeTopics } from '../src/capture/exchange.js';
import { fromKafka } from '../src/connectors/from-kafka.js';
import { replayPositions } from '../src/connectors/replay-positions.js';
import { resumableFromKafka } from '../src/connectors/resumable-from-kafka.js';
import { toKafka } from '../src/connectors/to-kafka.js';
import { flatMapData, slidingWindow, type Event } from '../src/dataflow/index.js';
import { partitionOf } from '../src/dataflow/key-partition.js';
import type { WindowResult } from '../src/dataflow/operators/internal/window-spec.js';
import { exchangeTopicsOf, replayExchange } from '../src/replay/exchange-replay.js';
import { replay } from '../src/replay/replay.js';
import { KafkaJsTransport } from '../src/transport/kafkajs/kafkajs-transport.js';
import type { KafkaRecord } from '../src/transport/record-reader.js';
import type { BenchRow } from './types.js';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu'];
const STREAMS = 2;
/** The input is read until it has been idle this long (the pipeline's end); under a full load a fetch can take over a second. */
const IDLE_STOP_MS = Number(process.env.BENCH_DATAFLOW_IDLE_MS ?? 5000);

async function pipeline(kafka: Kafka, transport: KafkaJsTransport, input: string, exactlyOnce: boolean, expectedWords: number): Promise<{ captureMs: number; totalMs: number; words: number; windows: number }> {
  const name = `bench-out-${exactlyOnce ? 'eos' : 'alo'}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const started = performance.now();
  let captureMs = 0;
  const exchange = `${name}-words`;
  const feeding: Promise<CaptureResult[]> = exactlyOnce
    ? Promise.all(
        exchangeTopics(exchange, STREAMS).map(async (topic, stream) => {
          const pusher = await transport.pusher<number, string>(topic, { exactlyOnce: true, replace: true });
          const source = resumableFromKafka<string>(input, { transport, stopWhenIdleMs: IDLE_STOP_MS, map: (r) => (r.value?.toString('utf8') ?? '').split(' ').filter((w) => partitionOf(w, STREAMS) === stream) });
          return captureFrom(source, pusher, { exactlyOnce: true });
        }),
      ).then((results) => ((captureMs = performance.now() - started), results))
    : (async () => {
        const pushers = await Promise.all(exchangeTopics(exchange, STREAMS).map((t) => transport.pusher<number, string>(t, { replace: true })));
        return lastValueFrom(
          fromKafka(input, { transport, stopWhenIdleMs: IDLE_STOP_MS }).stream.pipe(
            flatMapData((r: KafkaRecord) => (r.value?.toString('utf8') ?? '').split(' ')),
            exchangeInto((w: string) => w, pushers),
            tap(() => (captureMs = performance.now() - started)),
          ),
        );
      })();
  let windows = 0;
  const positions = exactlyOnce ? replayPositions<string>(`${name}-sink`, exchangeTopicsOf(exchange, STREAMS, 1, 0, 1).map((t) => transport.iterator<number, string>(t))) : undefined;
  const wordStream = positions ? replay(positions.iterators) : replayExchange<number, string>(transport, { topic: exchange, streams: STREAMS });
  const counting = lastValueFrom(
    (wordStream.pipe(slidingWindow(60_000, 20_000, { key: (w: string) => w, aggregate: (n: number) => n + 1, seed: 0 })) as import('rxjs').Observable<Event<number, WindowResult<string, number>>>).pipe(
      toKafka(name, { transport, key: (r) => r.key, value: (r) => JSON.stringify({ start: r.window.start, end: r.window.end, word: r.key, count: r.value }), ...(positions ? { source: positions, exactlyOnce: true } : {}) }),
      tap((e) => {
        if (e.kind === 'messages') windows += e.data.length;
      }),
    ),
    { defaultValue: undefined },
  );
  const [captured] = await Promise.all([feeding, counting]);
  const totalMs = performance.now() - started;
  const words = captured.reduce((n, c) => n + c.records, 0);
  if (words !== expectedWords) throw new Error(`the exchange captured ${words} words, expected ${expectedWords}`);
  return { captureMs, totalMs, words, windows };
}

export default async function run(): Promise<BenchRow[]> {
  const lines = Number(process.env.BENCH_DATAFLOW_KAFKA_LINES ?? 100_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-bench-dataflow-'));
  const broker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' } as never);
  const brokers = [`127.0.0.1:${broker.port}`];
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const transport = new KafkaJsTransport({ brokers });
  try {
    const input = 'bench-lines';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let i = 0; i < lines; i += 5000) {
      const n = Math.min(5000, lines - i);
      await producer.send({
        topic: input,
        acks: -1,
        // 10 lines per second of event time, in order per partition.
        messages: Array.from({ length: n }, (_, j) => ({ partition: (i + j) % 2, value: Array.from({ length: 8 }, (_, k) => WORDS[((i + j) * 7 + k) % WORDS.length]).join(' '), timestamp: String((i + j) * 100) })),
      });
    }
    await producer.disconnect();
    const rows: BenchRow[] = [];
    for (const exactlyOnce of [false, true]) {
      const mode = exactlyOnce ? 'exactly-once end to end' : 'at-least-once';
      const r = await pipeline(kafka, transport, input, exactlyOnce, lines * 8);
      rows.push(
        { name: `fromKafka → exchange → slidingWindow → output topic (${mode})`, value: r.words / ((r.totalMs - IDLE_STOP_MS) / 1000), unit: 'words/s', note: `${lines} lines of 8 words, ${STREAMS} streams, 60 s windows sliding by 20 s, ${r.windows} window counts; wall ${(r.totalMs / 1000).toFixed(1)} s, less the ${IDLE_STOP_MS / 1000} s idle stop; sink: toKafka${exactlyOnce ? ' exactlyOnce (output + replay positions per transaction); input read once per stream' : ' (acks=all)'}` },
        { name: `  capture into the exchange, same run (${mode})`, value: r.words / ((r.captureMs - IDLE_STOP_MS) / 1000), unit: 'words/s', note: `fromKafka → exchange until every stream is acknowledged${exactlyOnce ? ' (committed)' : ''}; wall ${(r.captureMs / 1000).toFixed(1)} s, less the ${IDLE_STOP_MS / 1000} s idle stop` },
      );
    }
    return rows;
  } finally {
    await transport.close();
    await broker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(`${row.name}: ${row.value.toFixed(0)} ${row.unit} (${row.note ?? ''})`);
}
