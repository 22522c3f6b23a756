/**
 * Test helpers: a broker on an ephemeral port over a temp dir, kafkajs clients, and a raw socket client that
 * speaks the protocol through our own codecs (for exact versions, pipelining and hostile input).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../src/broker/index.js';
import type { ApiCodec } from '../../src/protocol/codec.js';
import { readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../../src/protocol/headers.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/records.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { Produce } from '../../src/protocol/messages/produce.js';
import { toolAvailable } from '../helpers/tools.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kq-'));
}

export interface TestBroker extends RunningBroker {
  dataDir: string;
  address: string;
  /** Closes the broker and removes its directory. */
  stop(): Promise<void>;
}

export async function startTestBroker(options: StartBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? tempDir();
  const broker = await startBroker({ logLevel: 'silent', port: 0, ...options, dataDir });
  return Object.assign(broker, {
    dataDir,
    address: `${broker.host}:${broker.port}`,
    async stop() {
      await broker.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export function kafkaClient(broker: { host: string; port: number }, clientId = 'test'): Kafka {
  return new Kafka({ clientId, brokers: [`${broker.host}:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
}

/** A fresh kafkajs client can still list topics: the broker serves everyone else after a hostile peer. */
export async function assertServes(broker: { host: string; port: number }): Promise<string[]> {
  const admin = kafkaClient(broker, 'fresh').admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** A raw Kafka connection using our codecs: exact versions, pipelining, and arbitrary bytes. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: Array<() => void> = [];
  private correlation = 1;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    /** The client id every request of this connection carries (quotas key on it). */
    readonly clientId = 'raw',
  ) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(broker: { host: string; port: number }, clientId?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(broker.port, broker.host, () => resolve(new RawClient(s, clientId)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes a request frame (size prefix included) without sending it. */
  frame<Req>(codec: ApiCodec<Req, unknown>, version: number, body: Req, correlationId = this.correlation++): Buffer {
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId: this.clientId });
    codec.writeRequest(w, version, body);
    w.patchInt32(0, w.length - 4);
    return w.toBuffer();
  }

  /** Reads the next response frame, or null if the connection closed first. */
  async readFrame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length >= 4 + size) {
          const f = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return f;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Decodes a response frame for `codec` at `version`; returns the correlation id with it. */
  static decode<Res>(codec: ApiCodec<unknown, Res>, version: number, frame: Buffer): { correlationId: number; body: Res } {
    const r = new Reader(frame);
    const { correlationId } = readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
    return { correlationId, body: codec.readResponse(r, version) };
  }

  async request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const id = this.correlation++;
    this.write(this.frame(codec, version, body, id));
    const f = await this.readFrame();
    if (!f) throw new Error(`connection closed before the ${codec.name} v${version} response`);
    const { correlationId, body: res } = RawClient.decode(codec, version, f);
    if (correlationId !== id) throw new Error(`correlation id ${correlationId}, expected ${id}`);
    return res;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function fetchRequest(topic: string, partition: number, fetchOffset: bigint, extra: Partial<FetchRequest> = {}, topicId = '00000000-0000-0000-0000-000000000000'): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId,
        partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  };
}

export interface ReadRecord {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
}

/** Reads every record of a partition from `from` up to its high watermark with raw Fetch v11 requests. */
export async function readAll(broker: { host: string; port: number }, topic: string, partition = 0, from = 0n): Promise<ReadRecord[]> {
  const c = await RawClient.connect(broker);
  const out: ReadRecord[] = [];
  try {
    let offset = from;
    for (;;) {
      const res: FetchResponse = await c.request(Fetch, 11, fetchRequest(topic, partition, offset));
      const p = res.responses[0]!.partitions[0]!;
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      const records = p.records ?? Buffer.alloc(0);
      for (const batch of decodeRecordBatches(records)) {
        batch.records.forEach((r) => {
          const o = batch.header.baseOffset + BigInt(r.offsetDelta);
          if (o < offset) return;
          out.push({ offset: o, timestamp: batch.header.baseTimestamp + BigInt(r.timestampDelta), key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
        });
        offset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
      }
      if (offset >= p.highWatermark || records.length === 0) break;
    }
  } finally {
    c.close();
  }
  return out;
}

/** Produces one batch with a raw Produce v9 request (acks=1); returns the partition response. */
export async function produceRaw(client: RawClient, topic: string, partition: number, values: string[], opts: { timestamp?: number; compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'none' } = {}) {
  const batch = encodeRecordBatch({
    baseTimestamp: opts.timestamp ?? Date.now(),
    compression: opts.compression ?? 'none',
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
  const res = await client.request(Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

/** Whether kcat is installed; under CI a missing kcat throws (see test/helpers/tools.ts). */
export function hasKcat(): boolean {
  return toolAvailable('kcat');
}
