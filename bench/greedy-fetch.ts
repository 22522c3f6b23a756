/**
 * The greedy fetch of issue 10, as a load: several connections each pipeline several Fetch requests whose
 * `max_bytes` and `partition_max_bytes` are 2 GiB, all from offset 0 of one large partition. The client only
 * counts response bytes (it keeps nothing), so its own memory stays small however large the responses are.
 *
 * Used by `npm run bench -- broker` (the greedy-fetch peak RSS row) and by test/broker/limits/fetch-memory.
 */
import net from 'node:net';
import { requestHeaderVersion, writeRequestHeader } from '../src/protocol/headers.js';
import type { ApiCodec } from '../src/protocol/codec.js';
import { Writer } from '../src/protocol/primitives.js';
import { encodeRecordBatch } from '../src/protocol/records.js';
import { createFetchRequest, Fetch } from '../src/protocol/messages/fetch.js';
import { createMetadataRequest, Metadata } from '../src/protocol/messages/metadata.js';
import { createProduceRequest, Produce } from '../src/protocol/messages/produce.js';
import { readResponseHeader, responseHeaderVersion } from '../src/protocol/headers.js';
import { Reader } from '../src/protocol/primitives.js';

const ZERO = '00000000-0000-0000-0000-000000000000';
const GREEDY = 2 ** 31 - 1;

function frame<Req>(codec: ApiCodec<Req, unknown>, version: number, body: Req, correlationId: number): Buffer {
  const w = new Writer();
  w.int32(0);
  writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId: 'greedy' });
  codec.writeRequest(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

/**
 * Reads response frames off a socket and reports each one's size; the body is kept only when `keep` says so
 * (small responses that the caller decodes), else its bytes are dropped as they arrive.
 */
class FrameCounter {
  private head = Buffer.alloc(4);
  private headFilled = 0;
  private remaining = -1;
  private kept: Buffer[] | null = null;
  private size = 0;

  constructor(private readonly onFrame: (size: number, body: Buffer | null) => void, private readonly keep: (size: number) => boolean) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining < 0) {
        const n = Math.min(4 - this.headFilled, chunk.length - pos);
        chunk.copy(this.head, this.headFilled, pos, pos + n);
        this.headFilled += n;
        pos += n;
        if (this.headFilled < 4) return;
        this.size = this.remaining = this.head.readInt32BE(0);
        this.headFilled = 0;
        this.kept = this.keep(this.size) ? [] : null;
      }
      const n = Math.min(this.remaining, chunk.length - pos);
      this.kept?.push(chunk.subarray(pos, pos + n));
      this.remaining -= n;
      pos += n;
      if (this.remaining === 0) {
        this.remaining = -1;
        this.onFrame(this.size, this.kept ? Buffer.concat(this.kept) : null);
        this.kept = null;
      }
    }
  }
}

/** A connection that sends frames and waits for their responses in order (pipelined). */
class LoadConnection {
  private readonly waiting: Array<(r: { size: number; body: Buffer | null }) => void> = [];
  private correlation = 1;
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    const counter = new FrameCounter(
      (size, body) => this.waiting.shift()?.({ size, body }),
      (size) => size < 1 << 20,
    );
    socket.on('data', (d: Buffer) => counter.push(d));
    const fail = (err: Error): void => {
      this.failure = err;
      for (const w of this.waiting.splice(0)) w({ size: -1, body: null });
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the broker')));
  }

  static connect(port: number, host: string): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new LoadConnection(s)));
      s.once('error', reject);
    });
  }

  send<Req>(codec: ApiCodec<Req, unknown>, version: number, body: Req): Promise<{ size: number; body: Buffer | null }> {
    if (this.failure) return Promise.reject(this.failure);
    const bytes = frame(codec, version, body, this.correlation++);
    return new Promise((resolve, reject) => {
      this.waiting.push((r) => (r.size < 0 ? reject(this.failure ?? new Error('closed')) : resolve(r)));
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Produces about `bytes` into partition 0 of `topic` (created if needed) in ~1 MiB batches, 4 in flight. */
export async function fillPartition(port: number, host: string, topic: string, bytes: number): Promise<number> {
  const c = await LoadConnection.connect(port, host);
  try {
    await c.send(Metadata, 9, createMetadataRequest({ topics: [{ name: topic, topicId: ZERO }], allowAutoTopicCreation: true }));
    const value = Buffer.alloc(1000, 120);
    const batch = encodeRecordBatch({ records: Array.from({ length: 1000 }, () => ({ key: null, value })) });
    const request = createProduceRequest({ acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    const total = Math.ceil(bytes / batch.length);
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < total) {
        sent++;
        const r = await c.send(Produce, 9, request);
        const rd = new Reader(r.body!);
        readResponseHeader(rd, responseHeaderVersion(Produce.apiKey, 9));
        const code = Produce.readResponse(rd, 9).responses[0]!.partitionResponses[0]!.errorCode;
        if (code !== 0) throw new Error(`produce to ${topic} failed with error code ${code}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return total * batch.length;
  } finally {
    c.close();
  }
}

export interface GreedyOptions {
  connections: number;
  /** Fetch requests written at once on each connection. */
  pipelined: number;
  /** `max_bytes` and `partition_max_bytes` of every request (default 2 GiB - 1). */
  maxBytes?: number;
}

export interface GreedyResult {
  /** Response frame sizes, per connection in request order. */
  sizes: number[][];
  seconds: number;
}

/** Runs the greedy fetch: every connection writes all its requests at once, then reads every response. */
export async function greedyFetch(port: number, host: string, topic: string, opts: GreedyOptions): Promise<GreedyResult> {
  const max = opts.maxBytes ?? GREEDY;
  const body = createFetchRequest({
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: max,
    topics: [{ topic, topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: max, replicaDirectoryId: ZERO }] }],
  });
  const conns = await Promise.all(Array.from({ length: opts.connections }, () => LoadConnection.connect(port, host)));
  const started = performance.now();
  try {
    const sizes = await Promise.all(
      conns.map(async (c) => {
        const replies = Array.from({ length: opts.pipelined }, () => c.send(Fetch, 11, body));
        return (await Promise.all(replies)).map((r) => r.size);
      }),
    );
    return { sizes, seconds: (performance.now() - started) / 1000 };
  } finally {
    for (const c of conns) c.close();
  }
}
