/**
 * Exactly-once capture (issue 12, part 2) on a real broker, through the embedded transport (on the broker's
 * thread and over a MessagePort) and the wire transport: transactions committed with the position, aborted
 * tails invisible to replay, resume from the committed position, the refusal of a committed prefix, and
 * fencing of an older capture of the same stream.
 */
import { from } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inProcessLink } from '../../src/broker/in-process-link.js';
import { captureFrom, type ResumePosition } from '../../src/capture/capture.js';
import { KafkaClient } from '../../src/client/client.js';
import { fetchCommittedOffset } from '../../src/client/transactions.js';
import { messages, progress, type Event } from '../../src/dataflow/event.js';
import { replay } from '../../src/replay/replay.js';
import { EmbeddedTransport } from '../../src/transport/embedded/embedded-transport.js';
import { CaptureFencedError, CommittedPrefixError, captureGroupId, type EventPusher } from '../../src/transport/event-pusher.js';
import type { EventTransport, PusherOptions } from '../../src/transport/transport.js';
import type { EventIterator } from '../../src/transport/event-iterator.js';
import { WireTransport } from '../../src/transport/wire/wire-transport.js';
import { KafkaJsTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { checkProtocol, collect, extract } from '../replay/helpers.js';
import { startTestBroker, type TestBroker } from '../transport/broker-helpers.js';

let broker: TestBroker;
beforeEach(async () => {
  broker = await startTestBroker();
});
afterEach(async () => {
  await broker.cleanup();
});

/** Epochs of numbered batches with progress between them: `batches` messages per epoch. */
function stream(batches: number, epochs: number, size = 256): Event<number, number>[] {
  const events: Event<number, number>[] = [];
  let n = 0;
  for (let t = 0; t < epochs; t++) {
    for (let b = 0; b < batches; b++) events.push(messages(t, Float64Array.from({ length: size }, () => n++)));
    events.push(progress(t + 1 < epochs ? [[t, -1], [t + 1, 1]] : [[t, -1]]));
  }
  return events;
}

/** A resumable source over `events` that throws after yielding `failAfter` events (counted from the start of the stream). */
function resumable(events: Event<number, number>[], failAfter = Infinity, beforeFailing?: () => Promise<void>): (p: ResumePosition) => AsyncIterable<Event<number, number>> {
  return (position) =>
    (async function* () {
      for (let i = position.events; i < events.length; i++) {
        if (i === failAfter) {
          await beforeFailing?.();
          throw new Error('the source failed');
        }
        yield events[i] as Event<number, number>;
      }
    })();
}

const transports: [string, () => EventTransport][] = [
  ['embedded, direct link', () => new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 16 * 1024 })],
  ['embedded, port', () => new EmbeddedTransport({ link: inProcessLink(broker.broker).port(), batchBytes: 16 * 1024 })],
  ['wire', () => new WireTransport({ brokers: [broker.address], batchBytes: 16 * 1024 })],
  ['kafkajs (its transactions)', () => new KafkaJsTransport({ brokers: [broker.address], batchBytes: 16 * 1024 })],
];

/** Small commits, so a short stream spans many transactions. */
const EOS: PusherOptions = { exactlyOnce: true, commitBytes: 40 * 1024 };

async function replayOne(transport: EventTransport, topic: string): Promise<Event<number, number>[]> {
  return collect(replay([transport.iterator<number, number>(topic)]));
}

describe.each(transports)('exactly-once capture (%s)', (_name, open) => {
  it('commits in transactions, with the position readable as a committed offset, and replays exactly', async () => {
    const transport = open();
    const events = stream(20, 4);
    const result = await captureFrom(events, await transport.pusher<number, number>('eo-1', EOS), { exactlyOnce: true });
    expect(result.records).toBe(20 * 4 * 256);
    const out = await replayOne(transport, 'eo-1');
    expect(extract(out)).toEqual(extract(events));
    expect(checkProtocol(out)).toEqual([[1], [2], [3], []]);
    // The position is an ordinary committed offset (group derived from the topic) with JSON metadata.
    const client = new KafkaClient({ brokers: [broker.address] });
    try {
      const committed = await fetchCommittedOffset(await client.any(), captureGroupId('eo-1'), 'eo-1', 0);
      expect(committed.offset).toBe(BigInt(events.length));
      expect(JSON.parse(committed.metadata ?? '')).toEqual({ events: events.length, counts: [] });
      // Several transactions: the log holds a commit marker after each, beside the events.
      const { latest } = await client.offsets('eo-1');
      expect(latest).toBeGreaterThan(BigInt(events.length + 2));
    } finally {
      await client.close();
      await transport.close();
    }
  });

  it('a failed capture leaves its committed prefix; rerun with resume, the replay has every event exactly once', async () => {
    const transport = open();
    const events = stream(30, 3);
    const failing = await transport.pusher<number, number>('eo-2', EOS);
    // The uncommitted tail reaches the log before the source fails, so the replay must skip an aborted transaction.
    await expect(captureFrom(resumable(events, 70, () => failing.flush()), failing, { exactlyOnce: true })).rejects.toThrow(/the source failed/);
    // Without resume the committed prefix is refused, naming both ways out.
    const refused = transport.pusher<number, number>('eo-2', EOS);
    await expect(refused).rejects.toBeInstanceOf(CommittedPrefixError);
    await expect(refused).rejects.toThrow(/--resume.*--replace/);
    const pusher = await transport.pusher<number, number>('eo-2', { ...EOS, resume: true });
    const from = (pusher as unknown as { committed: { events: number } }).committed.events;
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(70);
    const resumed = await captureFrom(resumable(events), pusher, { exactlyOnce: true, resume: true });
    expect(resumed.events).toBe(events.length - from);
    const out = await replayOne(transport, 'eo-2');
    expect(extract(out)).toEqual(extract(events));
    expect(checkProtocol(out)).toEqual([[1], [2], []]);
    await transport.close();
  });

  it('a second capture of the same stream fences the first, which fails with a clear error', async () => {
    const transport = open();
    const first = await transport.pusher<number, number>('eo-3', EOS);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const events = stream(10, 2);
    const running = captureFrom(
      (async function* () {
        yield* events.slice(0, 5);
        await gate;
        yield* events.slice(5);
      })(),
      first,
      { exactlyOnce: true },
    );
    running.catch(() => {});
    // The newer capture takes over the stream (it replaces it, so it needs no resumable source).
    const second = await transport.pusher<number, number>('eo-3', { ...EOS, replace: true });
    release();
    await expect(running).rejects.toBeInstanceOf(CaptureFencedError);
    await expect(running).rejects.toThrow(/fenced: another exactly-once capture of the same stream started/);
    await captureFrom(events, second, { exactlyOnce: true });
    expect(extract(await replayOne(transport, 'eo-3'))).toEqual(extract(events));
    await transport.close();
  });

  it('an unfinished capture replays what is committed, then waits like a live stream', async () => {
    const transport = open();
    const events = stream(4, 3);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pusher = await transport.pusher<number, number>('eo-4', { exactlyOnce: true, commitIntervalMs: 50 });
    // A source with a token: a time-bound commit waits for its next event, so what is committed is known:
    // events 0..5 (the commit is taken at event 5, after the bound passed); event 6 is sent, never committed.
    let at = 0;
    const source = Object.assign(
      (async function* () {
        for (; at < 5; at++) yield events[at] as Event<number, number>;
        await new Promise((r) => setTimeout(r, 150)); // the time bound passes here
        yield events[at++] as Event<number, number>;
        yield events[at++] as Event<number, number>;
        await gate;
        for (; at < events.length; at++) yield events[at] as Event<number, number>;
      })(),
      { token: () => String(at) },
    );
    const running = captureFrom(() => source, pusher, { exactlyOnce: true });
    // Read only once event 6 is in the log (offsets: events 0..5, the commit marker, event 6), so the first
    // read spans committed and uncommitted batches and must stop at the last stable offset.
    const log = () => broker.broker.context.topics.partition('eo-4', 0);
    for (const deadline = Date.now() + 10_000; (log()?.highWatermark ?? 0n) < 8n; ) {
      if (Date.now() > deadline) throw new Error(`event 6 did not reach the log in 10 s (high watermark ${log()?.highWatermark})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const iterator = transport.iterator<number, number>('eo-4');
    const seen = await take(iterator, 6, 10_000);
    expect(extract(seen)).toEqual(extract(events.slice(0, 6)));
    // ...and nothing more while the capture is unfinished: event 6 is in the log, but not committed.
    expect(await take(iterator, 1, 300)).toEqual([]);
    await iterator.close();
    release();
    await running;
    expect(extract(await replayOne(transport, 'eo-4'))).toEqual(extract(events));
    await transport.close();
  });
});

/** Up to `n` events of `iterator`, waiting on its readiness at most `ms` in all. */
async function take(iterator: EventIterator<number, number>, n: number, ms: number): Promise<Event<number, number>[]> {
  const out: Event<number, number>[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n && Date.now() < deadline) {
    const e = iterator.next();
    if (e) {
      out.push(e);
      continue;
    }
    await Promise.race([iterator.whenReady(), new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
  }
  return out;
}

describe('exactly-once capture, pusher checks', () => {
  it('the capture operator (an Observable source) commits exactly-once too', async () => {
    const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker), batchBytes: 16 * 1024 });
    const events = stream(10, 3);
    const result = await captureFrom(from(events), await transport.pusher<number, number>('eo-6', EOS), { exactlyOnce: true });
    expect(result.records).toBe(10 * 3 * 256);
    expect(extract(await replayOne(transport, 'eo-6'))).toEqual(extract(events));
    const client = new KafkaClient({ brokers: [broker.address] });
    try {
      expect((await fetchCommittedOffset(await client.any(), captureGroupId('eo-6'), 'eo-6', 0)).offset).toBe(BigInt(events.length));
    } finally {
      await client.close();
    }
  });

  it('a position larger than offset.metadata.max.bytes (4 KiB) fails the capture, saying what to do', async () => {
    const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    // 1,000 distinct times held at once: the committed capabilities do not fit 4,096 bytes of metadata.
    const events: Event<number, number>[] = [progress(Array.from({ length: 1000 }, (_, t) => [t + 1, 1] as [number, number])), messages(0, [1])];
    const pusher = await transport.pusher<number, number>('eo-7', { exactlyOnce: true, commitBytes: 1 });
    await expect(captureFrom(events, pusher, { exactlyOnce: true })).rejects.toThrow(/offset\.metadata\.max\.bytes: hold fewer distinct times at once, or raise that broker setting/);
  });

  it('an exactly-once capture into an at-least-once pusher is refused with what to do', async () => {
    const transport = new EmbeddedTransport({ link: inProcessLink(broker.broker) });
    const pusher: EventPusher<number, number> = await transport.pusher('eo-5');
    await expect(captureFrom(stream(1, 1), pusher, { exactlyOnce: true })).rejects.toThrow(/exactlyOnce: true/);
  });
});
