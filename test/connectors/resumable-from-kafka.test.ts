/**
 * resumableFromKafka on a real embedded broker over TCP: the token exists only at batch boundaries (between the
 * events of one fetched batch there is no offset that says what was emitted), it holds the input offsets and
 * the frontier, and a source restarted from it continues the stream: no record again, the frontier from where it
 * stood, records before it late. Then through an exactly-once capture: a due commit waits for a restart point.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { captureFrom } from '../../src/capture/capture.js';
import { KafkaClient } from '../../src/client/client.js';
import { fetchCommittedOffset } from '../../src/client/transactions.js';
import { resumableFromKafka, type ResumableKafkaIterable } from '../../src/connectors/resumable-from-kafka.js';
import type { Event } from '../../src/dataflow/event.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { captureGroupId } from '../../src/transport/event-pusher.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import type { KafkaRecord } from '../../src/transport/record-reader.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

let broker: TestBroker;
let transport: KafkaJsTransport;
let producer: Producer;
beforeEach(async () => {
  broker = await startTestBroker();
  transport = new KafkaJsTransport({ brokers: [broker.address] });
  producer = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await (await transport.admin()).createTopics({ topics: [{ topic: 'in', numPartitions: 2 }], waitForLeaders: true });
});
afterEach(async () => {
  await producer.disconnect();
  await transport.close();
  await broker.cleanup();
});

const send = (partition: number, ...times: number[]) => producer.send({ topic: 'in', acks: -1, messages: times.map((t) => ({ partition, value: `v${t}`, timestamp: String(t) })) });

interface Pulled {
  event: Event<number, KafkaRecord>;
  token: string | undefined;
}

/** Pulls events until `done(pulled)` holds; each with the token right after it. */
async function pull(it: ResumableKafkaIterable<KafkaRecord>, done: (pulled: Pulled[]) => boolean, ms = 30_000): Promise<Pulled[]> {
  const out: Pulled[] = [];
  const deadline = Date.now() + ms;
  while (!done(out)) {
    const next = await Promise.race([it.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now())))]);
    if (next === 'timeout') throw new Error(`timed out after ${out.length} events: ${JSON.stringify(out.map((p) => p.event.kind === 'messages' ? p.event.time : p.event.updates))}`);
    if (next.done) break;
    out.push({ event: next.value, token: it.token() });
  }
  return out;
}

const times = (pulled: Pulled[]): number[] => pulled.flatMap((p) => (p.event.kind === 'messages' ? Array.from(p.event.data as ArrayLike<KafkaRecord>, (r) => r.timestamp) : []));

describe('resumableFromKafka (kafkajs transport, embedded broker)', () => {
  it('has a token only at batch boundaries; a restart from it continues the stream exactly', async () => {
    // One batch of partition 0 holds three times: three messages events, then its progress.
    await send(0, 1000, 3000, 2000);
    await send(1, 1500);
    const source = resumableFromKafka('in', { transport, maxOutOfOrderness: 500 });
    const first = source({ events: 0 }) as ResumableKafkaIterable<KafkaRecord>;
    const a = await pull(first, (p) => times(p).length === 4 && p.at(-1)?.token !== undefined);
    await first.return();
    // Between the events of partition 0's batch there is no restart point; after its last one there is.
    const p0 = a.filter((p) => p.event.kind === 'messages' && (p.event.data as ArrayLike<KafkaRecord>)[0]!.partition === 0);
    expect(p0.map((p) => (p.event as { time: number }).time)).toEqual([1000, 2000, 3000]);
    expect(p0.slice(0, -1).map((p) => p.token)).toEqual([undefined, undefined]);
    const token = JSON.parse(a.at(-1)!.token!) as { offsets: [string, number, string][]; frontier: number };
    expect(token.offsets.sort()).toEqual([['in', 0, '3'], ['in', 1, '1']]);
    // Frontier: the meet of the watermarks, 1500 − 500 (partition 1).
    expect(token.frontier).toBe(1000);

    // More input, one record of it before the frontier: the restarted source skips what was emitted.
    await send(0, 4000);
    await send(1, 900, 3500);
    let lateCount = 0;
    const again = resumableFromKafka('in', { transport, maxOutOfOrderness: 500, onSource: (s) => s.late$.subscribe(() => lateCount++) })({ events: a.length, token: a.at(-1)!.token! }) as ResumableKafkaIterable<KafkaRecord>;
    const b = await pull(again, (p) => times(p).length === 2 && lateCount === 1 && p.some((e) => e.event.kind === 'progress'));
    await again.return();
    expect(times(b).sort()).toEqual([3500, 4000]);
    // The first progress retires the committed frontier: the stream continues the committed capabilities.
    const firstProgress = b.find((p) => p.event.kind === 'progress')!.event as unknown as { updates: [number, number][] };
    expect(firstProgress.updates[0]).toEqual([1000, -1]);
  }, 60_000);

  it('a committed stream that ended yields nothing on restart', async () => {
    const it = resumableFromKafka('in', { transport })({ events: 7, token: JSON.stringify({ offsets: [['in', 0, '5']], frontier: null }) });
    expect(await it[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    expect(() => resumableFromKafka('in', { transport })({ events: 3 })).toThrow(/carries no input position/);
    expect(() => resumableFromKafka('in', { transport })({ events: 3, token: 'garbage' })).toThrow(/is not an input position/);
  });

  it('in an exactly-once capture, commits wait for a restart point and store the token', async () => {
    // Every record its own time: a fetched batch is several events, and with commitBytes 1 every event asks
    // for a commit; only batch ends may take it.
    await send(0, 100, 200, 300, 400, 500);
    await send(1, 150, 250);
    const embedded = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    const tokens: (string | undefined)[] = [];
    const source = resumableFromKafka('in', { transport, stopWhenIdleMs: 1500 });
    const pusher = await embedded.pusher<number, KafkaRecord>('eo-in', { exactlyOnce: true, commitBytes: 1 });
    const commits: { events: number; token?: string }[] = [];
    const commit = (pusher as unknown as { commit(p: { events: number; token?: string }): Promise<void> }).commit.bind(pusher);
    Object.assign(pusher, { commit: (p: { events: number; token?: string }) => (commits.push(p), commit(p)) });
    const result = await captureFrom(
      (position) => {
        const it = source(position);
        const token = it.token.bind(it);
        return Object.assign(it, { token: () => (tokens.push(token()), tokens.at(-1)) });
      },
      pusher,
      { exactlyOnce: true },
    );
    expect(result.records).toBe(7);
    expect(tokens).toContain(undefined); // asked mid-batch…
    // …and no commit was taken there: every commit carries the input position.
    expect(commits.length).toBeGreaterThan(1);
    expect(commits.filter((c) => c.token === undefined)).toEqual([]);
    const client = new KafkaClient({ brokers: [broker.address] });
    try {
      const committed = await fetchCommittedOffset(await client.any(), captureGroupId('eo-in'), 'eo-in', 0);
      const position = JSON.parse(committed.metadata ?? '') as { token: string; counts: unknown[] };
      expect(position.counts).toEqual([]);
      const token = JSON.parse(position.token) as { offsets: [string, number, string][]; frontier: number | null };
      expect(token.offsets.sort()).toEqual([['in', 0, '5'], ['in', 1, '2']]);
      expect(token.frontier).toBeNull();
    } finally {
      await client.close();
      await embedded.close();
    }
  }, 60_000);
});
