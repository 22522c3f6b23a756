/**
 * The embedded transport against a real broker (startBroker over a temp dir, real files): on the broker's
 * thread (direct link and a MessagePort to itself) and on worker threads through execute's ports.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../../src/broker/in-process-link.js';
import { captureFrom } from '../../../src/capture/capture.js';
import { EmbeddedTransport } from '../../../src/transport/embedded/embedded-transport.js';
import { DeliveryError, TopicNotEmptyError } from '../../../src/transport/event-pusher.js';
import { MemoryTransport } from '../../../src/transport/memory/memory-transport.js';
import { openTransport } from '../../../src/transport/open-transport.js';
import { WireTransport } from '../../../src/transport/wire/wire-transport.js';
import { messages, progress, type Event } from '../../../src/dataflow/event.js';
import { replay } from '../../../src/replay/replay.js';
import { execute } from '../../../src/workers/execute.js';
import { hasKcat } from '../../broker/helpers.js';
import { checkProtocol, collect, epochStream, extract } from '../../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../broker-helpers.js';

const root = path.resolve(new URL('../../..', import.meta.url).pathname);

let broker: TestBroker;
beforeEach(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await broker.cleanup();
});

function numbers(streamIndex: number, batches: number, epochs: number): Event<number, number>[] {
  const events: Event<number, number>[] = [];
  for (let t = 0; t < epochs; t++) {
    for (let b = 0; b < batches; b++) events.push(messages(t, Float64Array.from({ length: 1024 }, (_, i) => streamIndex * 1e6 + t * 1e4 + b * 1024 + i)));
    events.push(progress(t + 1 < epochs ? [[t, -1], [t + 1, 1]] : [[t, -1]]));
  }
  return events;
}

/** The same streams through the in-memory transport: what every replay must equal. */
async function inMemory(inputs: Event<number, number>[][]): Promise<Event<number, number>[]> {
  const memory = new MemoryTransport();
  for (const [s, events] of inputs.entries()) await captureFrom(events, await memory.pusher<number, number>(`m-${s}`));
  return collect(replay(inputs.map((_, s) => memory.iterator<number, number>(`m-${s}`))));
}

describe('embedded transport on the broker thread', () => {
  it.each(['direct', 'port'] as const)('round trip of 3 streams (%s link) equals the in-memory result', async (kind) => {
    const link = inProcessLink(broker.broker);
    const transport = new EmbeddedTransport({ link: kind === 'direct' ? link : link.port(), batchBytes: 64 * 1024 });
    const inputs = [0, 1, 2].map((s) => numbers(s, 40, 3));
    const captured = await Promise.all(inputs.map(async (events, s) => captureFrom(events, await transport.pusher<number, number>(`rt-${s}`))));
    expect(captured.map((c) => c.records)).toEqual([3 * 40 * 1024, 3 * 40 * 1024, 3 * 40 * 1024]);
    expect(captured[0]?.bytes).toBeGreaterThan(3 * 40 * 8192);
    const out = await collect(replay([0, 1, 2].map((s) => transport.iterator<number, number>(`rt-${s}`))));
    expect(extract(out)).toEqual(extract(await inMemory(inputs)));
    expect(checkProtocol(out)).toEqual([[1], [2], []]);
    // The log holds one record per event, numbered from 0.
    expect(broker.broker.context.topics.partition('rt-0', 0)?.highWatermark).toBe(BigInt(inputs[0]!.length));
  });

  it('captured topics read back with the wire transport, and wire captures read back embedded', async () => {
    const embedded = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    const wire = new WireTransport({ brokers: [broker.address] });
    try {
      const inputs = [0, 1].map((s) => numbers(s, 30, 2));
      await Promise.all(inputs.map(async (events, s) => captureFrom(events, await embedded.pusher<number, number>(`x-${s}`))));
      const viaWire = await collect(replay([0, 1].map((s) => wire.iterator<number, number>(`x-${s}`))));
      expect(extract(viaWire)).toEqual(extract(inputs.flat()));
      await captureFrom(inputs[0]!, await wire.pusher<number, number>('y-0'));
      const viaEmbedded = await collect(replay([embedded.iterator<number, number>('y-0')]));
      expect(extract(viaEmbedded)).toEqual(extract(inputs[0]!));
    } finally {
      await wire.close();
    }
  });

  it('a parked wire fetch and a parked embedded read are both woken by embedded appends', async () => {
    const embedded = new EmbeddedTransport({ link: inProcessLink(broker.broker).port() });
    const wire = new WireTransport({ brokers: [broker.address], fetchMaxWaitMs: 30_000 });
    try {
      const viaWire = collect(replay([wire.iterator<number, number>('live-0')]));
      const viaEmbedded = collect(replay([embedded.iterator<number, number>('live-0')]));
      await new Promise((r) => setTimeout(r, 300)); // both readers are waiting for the topic
      const pusher = await embedded.pusher<number, number>('live-0');
      pusher.push(messages(0, Float64Array.of(1, 2, 3)));
      await pusher.flush();
      await new Promise((r) => setTimeout(r, 100)); // both readers now park on an existing, caught-up log
      pusher.push(messages(0, Float64Array.of(4)));
      pusher.push(progress([[0, -1]]));
      await pusher.close();
      const started = Date.now();
      expect(extract(await viaEmbedded)).toEqual([[0, [1, 2, 3, 4]]]);
      expect(extract(await viaWire)).toEqual([[0, [1, 2, 3, 4]]]);
      expect(Date.now() - started).toBeLessThan(5_000); // woken by the append, not by the 30 s fetch wait
    } finally {
      await wire.close();
    }
  });

  it('readers over ports and over the wire, tailing one topic while it is written in small batches, all see the same events', async () => {
    const link = inProcessLink(broker.broker);
    const writer = new EmbeddedTransport({ link: link.port(), batchBytes: 16 * 1024 });
    const readers = [new EmbeddedTransport({ link: link.port() }), new EmbeddedTransport({ link: link.port(), readMaxBytes: 20_000 })];
    const wire = new WireTransport({ brokers: [broker.address] });
    try {
      const runs = [...readers.map((r) => collect(replay([r.iterator<number, number>('tail-0')]))), collect(replay([wire.iterator<number, number>('tail-0')]))];
      const events = numbers(7, 60, 4);
      const pusher = await writer.pusher<number, number>('tail-0');
      async function* slowly() {
        for (const [i, e] of events.entries()) {
          yield e;
          if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      }
      await captureFrom(slowly(), pusher);
      const expected = extract(events);
      for (const out of await Promise.all(runs)) expect(extract(out)).toEqual(expected);
      // Read again from the start, now from the files, with recycled read memory.
      expect(extract(await collect(replay([readers[0]!.iterator<number, number>('tail-0')])))).toEqual(expected);
    } finally {
      await wire.close();
    }
  });

  it.skipIf(!hasKcat())('kcat reads the captured records (one record per event)', async () => {
    const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    const events = numbers(0, 10, 2);
    await captureFrom(events, await transport.pusher<number, number>('kc-0'));
    const { stdout } = await promisify(execFile)('kcat', ['-C', '-b', broker.address, '-t', 'kc-0', '-o', 'beginning', '-e', '-f', '%o %S\n', '-q']);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBe(events.length);
    expect(lines[0]).toMatch(/^0 \d+$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^${events.length - 1} \\d+$`));
  });

  it('refuses a non-empty topic unless replace is given; replace deletes and recreates it', async () => {
    const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker).port() });
    await captureFrom(epochStream(2, () => [1]), await transport.pusher<number, number>('dirty-0'));
    await expect(transport.pusher('dirty-0')).rejects.toThrowError(TopicNotEmptyError);
    await expect(transport.pusher('dirty-0')).rejects.toThrowError(/already holds 4 record\(s\).*replace: true/);
    const before = broker.broker.context.topics.get('dirty-0')?.id;
    await captureFrom(epochStream(1, () => [9]), await transport.pusher<number, number>('dirty-0', { replace: true }));
    expect(broker.broker.context.topics.get('dirty-0')?.id).not.toBe(before);
    expect(extract(await collect(replay([transport.iterator<number, number>('dirty-0')])))).toEqual([[0, [9]]]);
    // An existing empty topic is fine without replace.
    await broker.broker.context.topics.create('empty-0', 1, {});
    await expect(transport.pusher('empty-0')).resolves.toBeDefined();
    await expect(transport.pusher('bad name!')).rejects.toThrowError(/INVALID_TOPIC_EXCEPTION/);
  });

  it.each(['direct', 'port'] as const)('broker closed during capture (%s link): DeliveryError naming topic and offset, no hang', async (kind) => {
    const link = inProcessLink(broker.broker);
    const transport = new EmbeddedTransport({ link: kind === 'direct' ? link : link.port(), batchBytes: 32 * 1024 });
    const pusher = await transport.pusher<number, number>('stop-0');
    const reader = transport.iterator<number, number>('stop-0');
    async function* endless() {
      for (let i = 0; ; i++) {
        yield messages(0, new Float64Array(1024).fill(i));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    }
    const outcome = captureFrom(endless(), pusher).then(() => undefined, (error: unknown) => error);
    const replayed = collect(replay([reader])).then(() => undefined, (error: unknown) => error);
    await new Promise((r) => setTimeout(r, 200));
    await broker.stop();
    const error = await outcome;
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toMatch(/the event at offset \d+ of topic "stop-0".*BROKER_NOT_AVAILABLE/);
    expect(String(await replayed)).toMatch(/embedded broker closed/);
  });

  it('a restarted broker serves the captured data (embedded and wire)', async () => {
    const inputs = [0, 1].map((s) => numbers(s, 50, 2));
    const before = new EmbeddedTransport({ link: inProcessLink(broker.broker).port() });
    await Promise.all(inputs.map(async (events, s) => captureFrom(events, await before.pusher<number, number>(`keep-${s}`))));
    await broker.stop();
    await broker.restart();
    const after = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    expect(extract(await collect(replay([0, 1].map((s) => after.iterator<number, number>(`keep-${s}`)))))).toEqual(extract(inputs.flat()));
    const wire = new WireTransport({ brokers: [broker.address] });
    try {
      expect(extract(await collect(replay([0, 1].map((s) => wire.iterator<number, number>(`keep-${s}`)))))).toEqual(extract(inputs.flat()));
    } finally {
      await wire.close();
    }
    await expect(after.pusher('keep-0')).rejects.toThrowError(TopicNotEmptyError);
  });

  it('openTransport explains what is missing on the main thread', async () => {
    await expect(openTransport({ transport: 'embedded' })).rejects.toThrowError(/inProcessLink\(broker\)/);
    expect((await openTransport({ transport: 'embedded', link: inProcessLink(broker.broker) })).kind).toBe('embedded');
    expect((await openTransport({ brokers: [broker.address] })).kind).toBe('wire');
  });
});

describe('embedded transport on worker threads', () => {
  const sendModule = path.join(root, 'examples/capture_send.ts');
  const recvModule = path.join(root, 'examples/capture_recv.ts');

  it('5 capture workers and 3 replay workers through execute ports: exact counts, readable over the wire', async () => {
    const ports = inProcessLink(broker.broker).ports;
    const count = 20_000;
    const sent = await execute<{ records: number }>(
      { workers: 5 },
      { module: sendModule, export: 'sendWorker', args: { topic: 'wk', count, brokers: [], transport: 'embedded', type: 'f64', replace: false, quiet: true } },
      { ports },
    );
    expect(sent.map((s) => s.records)).toEqual([count, count, count, count, count]);
    const received = await execute<{ replayed: number }>(
      { workers: 3 },
      { module: recvModule, export: 'recvWorker', args: { topic: 'wk', streams: 5, brokers: [], transport: 'embedded', quiet: true } },
      { ports },
    );
    // Stream i on worker i % 3: workers 0 and 1 replay two streams, worker 2 one.
    expect(received.map((r) => r.replayed)).toEqual([2 * count, 2 * count, count]);
    const viaWire = await execute<{ replayed: number }>(
      { workers: 3 },
      { module: recvModule, export: 'recvWorker', args: { topic: 'wk', streams: 5, brokers: [broker.address], transport: 'wire', quiet: true } },
    );
    expect(viaWire.map((r) => r.replayed)).toEqual([2 * count, 2 * count, count]);
  }, 120_000);

  it('a worker without the port fails with a message saying how to start the job', async () => {
    await expect(
      execute({ workers: 1 }, { module: sendModule, export: 'sendWorker', args: { topic: 'np', count: 10, brokers: [], transport: 'embedded', type: 'f64', replace: false, quiet: true } }),
    ).rejects.toThrowError(/broker to run in this process.*execute\(config, job, \{ ports/);
  }, 60_000);
});
