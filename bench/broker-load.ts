/**
 * Load generator for bench/broker.ts, run as its own process so the broker's CPU is its own. Speaks the
 * protocol through our codecs over a raw socket with pre-encoded record batches, and prints one JSON line.
 *
 *   broker-load.ts produce <port> <topic> <bytes>        1 MiB batches, acks=1, 4 requests in flight
 *   broker-load.ts fetch <port> <topic> <bytes>          fetches from offset 0, 8 MiB each, 2 in flight, through
 *                                                        our client (src/client: responses read straight into
 *                                                        their frame); BENCH_FETCH_PIPELINED sets how many
 *   broker-load.ts records <port> <topic> <records>      100-byte records in batches of 1,000, acks=1
 *   broker-load.ts latency <port> <topic> <seconds>      1,000 msg/s, one per request, read by a long-poll fetch
 *                                                        (after 2 s of unmeasured warm-up)
 */
import net from 'node:net';
import { BufferPool } from '../src/broker/buffer-pool.js';
import { BrokerConnection } from '../src/client/connection.js';
import { ErrorCode } from '../src/protocol/errors.js';
import { FrameReader } from '../src/broker/frame-reader.js';
import { readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../src/protocol/headers.js';
import type { ApiCodec } from '../src/protocol/codec.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { BATCH_LENGTH_PREFIX, BATCH_OFFSET, encodeRecordBatch, iterateRecordBatches } from '../src/protocol/records.js';
import { createFetchRequest, Fetch, type FetchResponse } from '../src/protocol/messages/fetch.js';
import { createMetadataRequest, Metadata } from '../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce } from '../src/protocol/messages/produce.js';

const ZERO = '00000000-0000-0000-0000-000000000000';

/** A pipelining client: requests go out at once, responses resolve in order. */
class Client {
  // Pooled frame memory, as the broker does: a consumer of 8 MiB responses must not be the bottleneck.
  private readonly pool = new BufferPool({ maxFreeBytes: 256 << 20, maxPooled: 64 << 20 });
  private readonly reader = new FrameReader(1 << 30, (n) => this.pool.acquire(n));
  private readonly pending: Array<(frame: Buffer) => void> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    let done: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      // Frames of the previous read were consumed by now (callers use them synchronously on resolve).
      for (const f of done) this.pool.release(f);
      done = [];
      this.reader.append(chunk);
      for (let f = this.reader.next(); f !== null; f = this.reader.next()) {
        if (!Buffer.isBuffer(f)) throw new Error('bad response frame');
        this.pending.shift()!(f);
        done.push(f);
      }
    });
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  frame<Req>(codec: ApiCodec<Req, unknown>, version: number, body: Req): Buffer[] {
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId: 1, clientId: 'bench' });
    codec.writeRequest(w, version, body);
    w.patchInt32(0, w.length - 4);
    return w.toChunks();
  }

  /** Sends pre-encoded chunks; resolves with the decoded response. */
  send<Res>(chunks: Buffer[], codec: ApiCodec<unknown, Res>, version: number): Promise<Res> {
    return new Promise((resolve) => {
      this.pending.push((frame) => {
        const r = new Reader(frame);
        readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
        resolve(codec.readResponse(r, version));
      });
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    });
  }

  request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    return this.send(this.frame(codec, version, body), codec as ApiCodec<unknown, Res>, version);
  }

  close(): void {
    this.socket.destroy();
  }
}

async function ensureTopic(c: Client, topic: string): Promise<void> {
  await c.request(Metadata, 9, createMetadataRequest({ topics: [{ name: topic, topicId: ZERO }], allowAutoTopicCreation: true }));
}

function batchOf(count: number, valueBytes: number, seed: number): Buffer {
  const value = Buffer.alloc(valueBytes, 97 + (seed % 26));
  return encodeRecordBatch({ records: Array.from({ length: count }, () => ({ key: null, value })) });
}

/** Produces `batches` pre-encoded produce requests with `window` in flight; returns seconds. */
async function produceAll(c: Client, topic: string, requests: Buffer[][], total: number, window: number): Promise<number> {
  const started = process.hrtime.bigint();
  let sent = 0;
  let failed = 0;
  let lastError = 0;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const next = (): void => {
      while (inFlight < window && sent < total) {
        const req = requests[sent % requests.length]!;
        sent++;
        inFlight++;
        void c.send(req, Produce, 9).then((res) => {
          const code = res.responses[0]!.partitionResponses[0]!.errorCode;
          if (code !== 0) {
            failed++;
            lastError = code;
          }
          inFlight--;
          if (sent === total && inFlight === 0) resolve();
          else next();
        });
      }
    };
    next();
  });
  if (failed > 0) throw new Error(`${failed} produce requests to ${topic} failed (error code ${lastError})`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function produceRequests(c: Client, topic: string, batches: Buffer[]): Buffer[][] {
  return batches.map((records) => c.frame(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })));
}

async function produce(port: number, topic: string, bytes: number): Promise<object> {
  const c = await Client.connect(port);
  await ensureTopic(c, topic);
  // 1,000 records of 1,030 bytes: a batch of just under 1 MiB (the default max.message.bytes).
  const batches = Array.from({ length: 8 }, (_, i) => batchOf(1000, 1030, i));
  const batchBytes = batches[0]!.length;
  const total = Math.ceil(bytes / batchBytes);
  const seconds = await produceAll(c, topic, produceRequests(c, topic, batches), total, 4);
  c.close();
  return { bytes: total * batchBytes, seconds, mbps: (total * batchBytes) / 1e6 / seconds, batchBytes };
}

function nextOffsetAfter(records: Buffer): bigint {
  let pos = 0;
  let next = -1n;
  while (pos + BATCH_OFFSET.recordCount <= records.length) {
    const size = records.readInt32BE(pos + BATCH_OFFSET.batchLength) + BATCH_LENGTH_PREFIX;
    if (pos + size > records.length) break;
    next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + BATCH_OFFSET.lastOffsetDelta)) + 1n;
    pos += size;
  }
  return next;
}

function fetchBody(topic: string, offset: bigint, maxWaitMs: number, minBytes: number, maxBytes: number) {
  return createFetchRequest({
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO }] }],
  });
}

/**
 * One consumer reading the partition from offset 0 with `pipelined` fetches in flight. A consumer that
 * waited for each response before asking for the next would leave the broker idle while the response is
 * read, and itself idle while the next is prepared. The offset after a response comes from its batch headers,
 * and the next requests ask from there on, each one response's worth of offsets (the last response's span)
 * after the one before: with the evenly sized batches produced here the guess holds. A response that does not
 * start where the data so far ends is dropped and counted (`mispredicted`), never counted as data.
 */
async function fetch(port: number, topic: string, bytes: number, pipelined = Number(process.env.BENCH_FETCH_PIPELINED ?? 2)): Promise<object> {
  const c = await BrokerConnection.connect('127.0.0.1', port, { clientId: 'bench' });
  const maxBytes = 8 << 20;
  const request = (offset: bigint) => {
    const response = c.request(Fetch, fetchBody(topic, offset, 500, 1, maxBytes));
    response.catch(() => {}); // requests still in flight when the run ends fail with the closed connection
    return { offset, response };
  };
  const inFlight: { offset: bigint; response: Promise<FetchResponse> }[] = [];
  let received = 0;
  let responses = 0;
  let mispredicted = 0;
  /** Where the data received so far ends, and how many offsets the last response spanned. */
  let end = 0n;
  let span = 0n;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  inFlight.push(request(0n));
  while (inFlight.length > 0 && received < bytes) {
    const { offset, response } = inFlight.shift()!;
    const p = (await response).responses[0]!.partitions[0]!;
    const records = p.records;
    if (offset !== end) {
      mispredicted++;
    } else {
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      const next = records ? nextOffsetAfter(records) : -1n;
      if (next < 0n) break; // the end of the partition
      received += records!.length;
      responses++;
      span = next - offset;
      end = next;
    }
    if (records) c.releaseFrame(records);
    // Extend the chain of guesses while it holds; once broken, let the wrong ones drain, then start from `end`.
    if (inFlight.length > 0 && inFlight[0]!.offset !== end) continue;
    let from = inFlight.length > 0 ? inFlight.at(-1)!.offset + span : end;
    do {
      inFlight.push(request(from));
      from += span;
    } while (inFlight.length < pipelined && span > 0n);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  c.close();
  return { bytes: received, seconds, mbps: received / 1e6 / seconds, pipelined, responses, mispredicted, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function records(port: number, topic: string, count: number): Promise<object> {
  const c = await Client.connect(port);
  await ensureTopic(c, topic);
  const batches = Array.from({ length: 8 }, (_, i) => batchOf(1000, 100, i));
  const total = Math.ceil(count / 1000);
  const seconds = await produceAll(c, topic, produceRequests(c, topic, batches), total, 8);
  c.close();
  return { records: total * 1000, seconds, recordsPerSecond: (total * 1000) / seconds, batchBytes: batches[0]!.length };
}

async function latency(port: number, topic: string, seconds: number): Promise<object> {
  const producer = await Client.connect(port);
  const consumer = await Client.connect(port);
  await ensureTopic(producer, topic);
  // A fresh topic and one producer connection: the k-th message sent gets offset k.
  const sentAt: bigint[] = [];
  const samples: number[] = [];
  const slow: number[] = [];
  // The first two seconds warm up both sides (JIT) and are not measured.
  const warmup = 2000;
  const total = seconds * 1000 + warmup;
  // Consumer: long-poll from the start, as a tailing consumer does.
  const consumed = (async () => {
    let offset = 0n;
    while (samples.length < total - warmup) {
      const res = await consumer.request(Fetch, 11, fetchBody(topic, offset, 500, 1, 1 << 20));
      const now = process.hrtime.bigint();
      const recs = res.responses[0]!.partitions[0]!.records!;
      for (const batch of iterateRecordBatches(recs)) {
        for (const r of batch.records) {
          const o = Number(batch.header.baseOffset) + r.offsetDelta;
          const t = o >= warmup ? sentAt[o] : undefined;
          if (t !== undefined) samples.push(Number(now - t) / 1e6);
          if (t !== undefined && Number(now - t) / 1e6 > 20) slow.push(o);
        }
      }
      const next = nextOffsetAfter(recs);
      if (next >= 0n) offset = next;
    }
  })();
  // Producer: 1,000 msg/s, one record per request, paced on a 1 ms timer with catch-up.
  const value = Buffer.alloc(100, 120);
  const started = process.hrtime.bigint();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - started) / 1e6));
      while (sent < due) {
        sent++;
        const records = encodeRecordBatch({ records: [{ key: null, value }] });
        sentAt.push(process.hrtime.bigint());
        void producer.request(Produce, 9, createProduceRequest({ acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }));
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await consumed;
  producer.close();
  consumer.close();
  samples.sort((a, b) => a - b);
  const pct = (p: number): number => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return { samples: samples.length, p50: pct(50), p99: pct(99), max: samples.at(-1), slowOffsets: slow.length, firstSlow: slow[0], lastSlow: slow.at(-1) };
}

const [mode, portArg, topic, amount] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(amount);
const modes: Record<string, () => Promise<object>> = {
  produce: () => produce(port, topic!, n),
  fetch: () => fetch(port, topic!, n),
  records: () => records(port, topic!, n),
  latency: () => latency(port, topic!, n),
};
const run = mode ? modes[mode] : undefined;
if (!run) {
  console.error('usage: broker-load.ts produce|fetch|records|latency <port> <topic> <amount>');
  process.exit(2);
}
run().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
