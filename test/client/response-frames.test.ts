/**
 * How the client reads responses: straight into the frame's own buffer, with memory bounded by
 * `receiveMessageMaxBytes` (above it: ResponseTooLargeError before anything is allocated) and, below it, by
 * what has arrived (a size prefix alone gets at most UPFRONT_RESPONSE_BYTES).
 *
 * The hostile peers are raw TCP servers that answer ApiVersions properly and then misbehave; the limit is also
 * hit against the real embedded broker.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';
import { FrameReader } from '../../src/broker/frame-reader.js';
import { BrokerConnection, UPFRONT_RESPONSE_BYTES } from '../../src/client/connection.js';
import { KafkaClient } from '../../src/client/client.js';
import { ResponseTooLargeError } from '../../src/client/errors.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { readRequestHeaderAuto, responseHeaderVersion, writeResponseHeader } from '../../src/protocol/headers.js';
import { ApiVersions, createApiVersionsResponse, createApiVersionsResponseApiVersion } from '../../src/protocol/messages/api-versions.js';
import { createFetchRequest, createFetchResponse, createFetchResponseFetchableTopicResponse, createFetchResponsePartitionData, Fetch } from '../../src/protocol/messages/fetch.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { until } from '../until.js';

interface Request {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** A response frame: size prefix, header, body. */
function frame<Res>(request: Request, write: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.int32(0);
  writeResponseHeader(w, responseHeaderVersion(request.apiKey, request.apiVersion), request.correlationId);
  write(w);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

/** A TCP server that answers ApiVersions (Fetch 4–12 supported) and hands every other request to `other`. */
async function fakeBroker(other: (socket: net.Socket, request: Request) => void): Promise<{ port: number; close: () => Promise<void>; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    const reader = new FrameReader(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      reader.append(chunk);
      for (let f = reader.next(); f !== null; f = reader.next()) {
        if (!Buffer.isBuffer(f)) throw new Error('bad request frame');
        const { header } = readRequestHeaderAuto(new Reader(f));
        const request = { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId };
        if (request.apiKey === ApiKey.ApiVersions) {
          const body = createApiVersionsResponse({
            apiKeys: [
              createApiVersionsResponseApiVersion({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 }),
              createApiVersionsResponseApiVersion({ apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 12 }),
            ],
          });
          socket.write(frame(request, (w) => ApiVersions.writeResponse(w, request.apiVersion, body)));
        } else {
          other(socket, request);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const ZERO = '00000000-0000-0000-0000-000000000000';
const fetchBody = (maxBytes: number) =>
  createFetchRequest({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    topics: [{ topic: 't', topicId: ZERO, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes, replicaDirectoryId: ZERO }] }],
  });

/** The client's socket (private): how many bytes it has read so far. */
const bytesRead = (c: BrokerConnection): number => (c as unknown as { socket: net.Socket }).socket.bytesRead;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('client response frames', () => {
  it('a response in many pieces and larger than the upfront buffer arrives intact (the buffer grows as bytes arrive)', async () => {
    const records = Buffer.allocUnsafe(UPFRONT_RESPONSE_BYTES * 2 + 12344);
    for (let i = 0; i < records.length; i += 4) records.writeUInt32LE(i >>> 0, i);
    const broker = await fakeBroker((socket, request) => {
      const response = createFetchResponse({ responses: [createFetchResponseFetchableTopicResponse({ topic: 't', partitions: [createFetchResponsePartitionData({ records })] })] });
      const bytes = frame(request, (w) => Fetch.writeResponse(w, request.apiVersion, response));
      // Uneven pieces, so reads end mid-prefix, mid-header and mid-records.
      let pos = 0;
      const piece = (): void => {
        if (pos >= bytes.length) return;
        const n = pos === 0 ? 3 : 700_001;
        socket.write(bytes.subarray(pos, pos + n), () => setImmediate(piece));
        pos += n;
      };
      piece();
    });
    cleanups.push(broker.close);
    const c = await BrokerConnection.connect('127.0.0.1', broker.port);
    cleanups.push(() => c.close());
    const response = await c.request(Fetch, fetchBody(64 << 20));
    const got = response.responses[0]!.partitions[0]!.records!;
    expect(got.length).toBe(records.length);
    expect(got.equals(records)).toBe(true);
  });

  it('a size prefix above receiveMessageMaxBytes closes the connection with ResponseTooLargeError, before allocating it', async () => {
    const broker = await fakeBroker((socket, request) => {
      const prefix = Buffer.alloc(8);
      prefix.writeInt32BE(0x7fffffff, 0);
      prefix.writeInt32BE(request.correlationId, 4);
      socket.write(prefix);
    });
    cleanups.push(broker.close);
    const c = await BrokerConnection.connect('127.0.0.1', broker.port);
    cleanups.push(() => c.close());
    const before = process.memoryUsage().arrayBuffers;
    const failure = await c.request(Fetch, fetchBody(1 << 20)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ResponseTooLargeError);
    expect((failure as ResponseTooLargeError).size).toBe(0x7fffffff);
    expect((failure as ResponseTooLargeError).limit).toBe(100_000_000);
    expect((failure as Error).message).toMatch(/above receiveMessageMaxBytes \(100000000\).*Raise receiveMessageMaxBytes/);
    expect(c.closed).toBe(true);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('a size prefix too short for a correlation id is refused the same way (no crash reading it)', async () => {
    const broker = await fakeBroker((socket) => socket.write(Buffer.from([0, 0, 0, 2, 1, 2])));
    cleanups.push(broker.close);
    const c = await BrokerConnection.connect('127.0.0.1', broker.port);
    cleanups.push(() => c.close());
    await expect(c.request(Fetch, fetchBody(1 << 20))).rejects.toThrow(/response of 2 bytes, too short for a correlation id/);
  });

  it('a size prefix under the limit followed by a trickle holds memory for what arrived, not for what it claims', async () => {
    const claimed = 90_000_000;
    const sent = 2 << 20;
    const broker = await fakeBroker((socket, request) => {
      const head = Buffer.alloc(8);
      head.writeInt32BE(claimed, 0);
      head.writeInt32BE(request.correlationId, 4);
      socket.write(Buffer.concat([head, Buffer.alloc(sent - 4, 1)]));
      // ... and never the rest.
    });
    cleanups.push(broker.close);
    const c = await BrokerConnection.connect('127.0.0.1', broker.port);
    cleanups.push(() => c.close());
    const readBefore = bytesRead(c);
    const pending = c.request(Fetch, fetchBody(1 << 20));
    pending.catch(() => {});
    await until(() => bytesRead(c) - readBefore >= sent + 4, 'the client to read the 2 MiB the server sent');
    // The buffer set aside for the frame (the connection's own; process-wide counters move with GC of earlier tests).
    const held = (c as unknown as { frame: Buffer | undefined }).frame;
    expect(held).toBeDefined();
    expect(held!.length).toBeGreaterThanOrEqual(sent);
    expect(held!.length).toBeLessThanOrEqual(UPFRONT_RESPONSE_BYTES);
  });

  it('hits receiveMessageMaxBytes on a real broker: a fetch larger than the limit fails, a smaller one passes', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kq-frames-'));
    const broker: RunningBroker = await startBroker({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' } as never);
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }), () => broker.close());
    const address = `127.0.0.1:${broker.port}`;
    const admin = new KafkaClient({ brokers: [address] });
    cleanups.push(() => admin.close());
    await admin.createTopic('t', 1);
    const producer = await admin.leaderFor('t');
    const { Produce, createProduceRequest } = await import('../../src/protocol/messages/produce.js');
    const value = Buffer.alloc(1000, 7);
    for (let i = 0; i < 4; i++) {
      const records = encodeRecordBatch({ records: Array.from({ length: 50 }, () => ({ key: null, value })) });
      await producer!.request(Produce, createProduceRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] }));
    }
    const limited = await BrokerConnection.connect('127.0.0.1', broker.port, { receiveMessageMaxBytes: 64 * 1024 });
    cleanups.push(() => limited.close());
    // One batch (~50 KB) fits under 64 KiB; four (~200 KB) do not.
    const small = await limited.request(Fetch, fetchBody(1));
    expect(small.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(50_000);
    const failure = await limited.request(Fetch, fetchBody(1 << 20)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ResponseTooLargeError);
    expect((failure as ResponseTooLargeError).limit).toBe(64 * 1024);
    expect((failure as ResponseTooLargeError).size).toBeGreaterThan(200_000);
    expect(limited.closed).toBe(true);
  });

  it('refuses a receiveMessageMaxBytes that is not a positive whole number', async () => {
    await expect(BrokerConnection.connect('127.0.0.1', 1, { receiveMessageMaxBytes: 0 })).rejects.toThrow(/receiveMessageMaxBytes must be/);
  });
});
