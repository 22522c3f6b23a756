/**
 * The fast capture idiom (examples/capture_send.ts): one typed array per stream, refilled for every batch,
 * because `push` copies the batch before it returns. Checked on every transport: the source overwrites the
 * block right after each push (with garbage, then the next batch), and the replay must still see every
 * batch's own numbers. A transport that kept a reference to the pushed array would replay garbage here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { captureFrom } from '../../src/capture/capture.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { replay } from '../../src/replay/replay.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { EventTransport } from '../../src/transport/transport.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { collect, extract } from '../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

const PER_BATCH = 1024;
const BATCHES = 200;

/** Events over ONE reused block per kind: after each push the block is scribbled over before the next fill. */
async function* reusingSource(kind: 'f64' | 'array'): AsyncGenerator<Event<number, number>> {
  const block = kind === 'f64' ? new Float64Array(PER_BATCH) : new Array<number>(PER_BATCH).fill(0);
  for (let b = 0; b < BATCHES; b++) {
    for (let i = 0; i < PER_BATCH; i++) block[i] = b * PER_BATCH + i;
    yield messages(0, block as unknown as ArrayLike<number>);
    // captureFrom pulls the next event only after push() returned: the batch must already be copied.
    block.fill(-1);
  }
  yield progress([[0, -1]]);
}

/** Every number 0 .. BATCHES × PER_BATCH − 1, once, whatever the batching on the way. */
function expectAllNumbers(out: Event<number, number>[]): void {
  const seen = extract(out).flatMap(([, data]) => Array.from(data));
  expect(seen.length).toBe(BATCHES * PER_BATCH);
  expect(seen.filter((n) => n < 0).length).toBe(0);
  expect(seen.every((n, i) => n === i)).toBe(true);
}

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker.cleanup();
});

const transports: [string, () => EventTransport][] = [
  ['memory', () => new MemoryTransport()],
  ['embedded (direct link)', () => new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 64 * 1024 })],
  ['embedded (port)', () => new EmbeddedTransport({ link: inProcessLink(broker.broker).port(), batchBytes: 64 * 1024 })],
  ['wire', () => new WireTransport({ brokers: [broker.address], batchBytes: 64 * 1024 })],
  ['kafkajs', () => new KafkaJsTransport({ brokers: [broker.address], batchBytes: 64 * 1024 })],
];

describe('a batch reused after push', () => {
  let topic = 0;
  it.each(transports)('replays each batch as it was pushed (%s)', async (_, make) => {
    const transport = make();
    try {
      for (const kind of ['f64', 'array'] as const) {
        const name = `reuse-${topic++}`;
        await captureFrom(reusingSource(kind), await transport.pusher<number, number>(name));
        expectAllNumbers(await collect(replay([transport.iterator<number, number>(name)])));
      }
    } finally {
      await (transport as { close?: () => Promise<void> }).close?.();
    }
  });
});
