/**
 * How many topics one broker serves with its hard descriptor limit at 1,024 (issue 10): a broker child under
 * `prlimit --nofile=1024:1024`, `count` single-partition topics created, each written with one record and
 * read back, in requests of 250 topics. Reports how many made the whole trip and the peak descriptors.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ApiCodec } from '../src/protocol/codec.js';
import { readResponseHeader, requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../src/protocol/headers.js';
import { CreateTopics } from '../src/protocol/messages/create-topics.js';
import { createFetchRequest, createFetchRequestPartition, createFetchRequestTopic, Fetch } from '../src/protocol/messages/fetch.js';
import { createProduceRequest, Produce } from '../src/protocol/messages/produce.js';
import { Reader, Writer } from '../src/protocol/primitives.js';
import { decodeRecordBatches, encodeRecordBatch } from '../src/protocol/records.js';

const LIMIT = 1024;
const PER_REQUEST = 250;

export interface TopicsUnderLimit {
  served: number;
  peakDescriptors: number;
  seconds: number;
}

export async function measureTopicsUnderDescriptorLimit(root: string, dataDir: string, count: number): Promise<TopicsUnderLimit> {
  const child = spawn('prlimit', [`--nofile=${LIMIT}:${LIMIT}`, process.execPath, '--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on .+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error('broker exited before listening')));
    });
    const pid = child.pid!;
    const fds = (): number => fs.readdirSync(`/proc/${pid}/fd`).length;
    let peak = fds();
    const started = performance.now();
    const c = await Client.connect(port);
    const names = Array.from({ length: count }, (_, i) => `limit-${i}`);
    const ok = new Set<string>();
    try {
      for (let i = 0; i < names.length; i += PER_REQUEST) {
        const batch = names.slice(i, i + PER_REQUEST);
        const created = await c.request(CreateTopics, 4, {
          topics: batch.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
          timeoutMs: 60_000,
          validateOnly: false,
        });
        const produced = await c.request(Produce, 9, {
          ...createProduceRequest(),
          acks: 1,
          timeoutMs: 60_000,
          topicData: created.topics
            .filter((t) => t.errorCode === 0)
            .map((t) => ({ name: t.name, partitionData: [{ index: 0, records: encodeRecordBatch({ baseTimestamp: Date.now(), compression: 'none', records: [{ key: null, value: Buffer.from(t.name) }] }) }] })),
        });
        const fetched = await c.request(Fetch, 11, {
          ...createFetchRequest(),
          maxWaitMs: 0,
          maxBytes: 0x7fffffff,
          topics: produced.responses
            .filter((t) => t.partitionResponses[0]!.errorCode === 0)
            .map((t) => createFetchRequestTopic({ topic: t.name, partitions: [createFetchRequestPartition({ partition: 0, fetchOffset: 0n, partitionMaxBytes: 65536 })] })),
        });
        for (const t of fetched.responses) {
          const p = t.partitions[0]!;
          if (p.errorCode === 0 && p.records && decodeRecordBatches(p.records)[0]?.records[0]?.value?.toString() === t.topic) ok.add(t.topic);
        }
        peak = Math.max(peak, fds());
      }
    } finally {
      c.close();
    }
    return { served: ok.size, peakDescriptors: peak, seconds: (performance.now() - started) / 1000 };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/** One connection, one request at a time. */
class Client {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private correlation = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  async request<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    const w = new Writer();
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId: ++this.correlation, clientId: 'bench' });
    codec.writeRequest(w, version, body);
    w.patchInt32(0, w.length - 4);
    this.socket.write(w.toBuffer());
    for (;;) {
      if (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const frame = this.buffered.subarray(4, 4 + this.buffered.readInt32BE(0));
        this.buffered = this.buffered.subarray(4 + frame.length);
        const r = new Reader(frame);
        readResponseHeader(r, responseHeaderVersion(codec.apiKey, version));
        return codec.readResponse(r, version);
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
