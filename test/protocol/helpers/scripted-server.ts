/**
 * A raw TCP server that records every request frame a real client sends and answers just enough (with
 * bytes from our own codecs) for the client to move on: ApiVersions, Metadata (one broker — this server —
 * and every requested topic with one partition led by it), Produce and CreateTopics. Not a broker: it keeps
 * no data; it exists to capture what real clients put on the wire.
 */
import * as net from 'node:net';
import { SUPPORTED_API_VERSIONS } from '../../../src/protocol/api-keys.js';
import type { ApiCodec } from '../../../src/protocol/codec.js';
import { encodeResponseFrame } from '../../../src/protocol/frame.js';
import { readRequestHeaderAuto, type RequestHeader } from '../../../src/protocol/headers.js';
import {
  ApiVersions,
  CreateTopics,
  Metadata,
  Produce,
  codecByApiKey,
  createApiVersionsResponse,
  createCreateTopicsResponse,
  createCreateTopicsResponseCreatableTopicResult,
  createMetadataResponse,
  createMetadataResponseBroker,
  createMetadataResponsePartition,
  createMetadataResponseTopic,
  createProduceResponse,
  createProduceResponsePartitionProduceResponse,
  type CreateTopicsRequest,
  type MetadataRequest,
  type ProduceRequest,
} from '../../../src/protocol/messages/index.js';
import { Reader } from '../../../src/protocol/primitives.js';

export interface CapturedFrame {
  connection: number;
  header: RequestHeader;
  headerVersion: number;
  /** The request body (after the header), as sent. */
  body: Buffer;
}

export const DEFAULT_TOPIC = 'golden-topic';

export class ScriptedServer {
  readonly frames: CapturedFrame[] = [];
  private readonly server = net.createServer((s) => this.serve(s));
  private readonly sockets = new Set<net.Socket>();
  private connections = 0;
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  framesFor(apiKey: number): CapturedFrame[] {
    return this.frames.filter((f) => f.header.apiKey === apiKey);
  }

  private serve(socket: net.Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        const frame = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        const r = new Reader(frame);
        const { header, headerVersion } = readRequestHeaderAuto(r);
        const body = Buffer.from(frame.subarray(r.offset));
        this.frames.push({ connection, header, headerVersion, body });
        const reply = this.answer(header, body);
        if (reply === 'close') socket.destroy();
        else if (reply !== null) socket.write(Buffer.concat(reply));
      }
    });
  }

  private answer(h: RequestHeader, body: Buffer): Buffer[] | null | 'close' {
    const frame = <Res>(codec: ApiCodec<unknown, Res>, version: number, value: Res): Buffer[] =>
      encodeResponseFrame(codec, version, h.correlationId, value);
    const codec = codecByApiKey.get(h.apiKey);
    if (!codec) return 'close';
    const apiKeys = SUPPORTED_API_VERSIONS.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
    if (h.apiKey === ApiVersions.apiKey) {
      if (h.apiVersion > ApiVersions.maxVersion) {
        return frame(ApiVersions, 0, createApiVersionsResponse({ errorCode: 35, apiKeys: apiKeys.filter((a) => a.apiKey === 18) }));
      }
      return frame(ApiVersions, h.apiVersion, createApiVersionsResponse({ apiKeys }));
    }
    if (h.apiVersion < codec.minVersion || h.apiVersion > codec.maxVersion) return 'close';
    const request = codec.readRequest(new Reader(body), h.apiVersion);
    switch (h.apiKey) {
      case Metadata.apiKey: {
        const req = request as MetadataRequest;
        const names = req.topics === null || req.topics.length === 0 ? [DEFAULT_TOPIC] : req.topics.map((t) => t.name ?? DEFAULT_TOPIC);
        return frame(
          Metadata,
          h.apiVersion,
          createMetadataResponse({
            brokers: [createMetadataResponseBroker({ nodeId: 1, host: '127.0.0.1', port: this.port })],
            clusterId: 'kafkaesque-golden',
            controllerId: 1,
            topics: names.map((name) =>
              createMetadataResponseTopic({
                name,
                topicId: '5a1b2c3d-0000-4000-8000-00000000abcd',
                partitions: [createMetadataResponsePartition({ partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1] })],
              }),
            ),
          }),
        );
      }
      case Produce.apiKey: {
        const req = request as ProduceRequest;
        if (req.acks === 0) return null;
        return frame(
          Produce,
          h.apiVersion,
          createProduceResponse({
            responses: req.topicData.map((t) => ({
              name: t.name,
              partitionResponses: t.partitionData.map((p) => createProduceResponsePartitionProduceResponse({ index: p.index, baseOffset: 0n })),
            })),
          }),
        );
      }
      case CreateTopics.apiKey: {
        const req = request as CreateTopicsRequest;
        return frame(
          CreateTopics,
          h.apiVersion,
          createCreateTopicsResponse({
            topics: req.topics.map((t) => createCreateTopicsResponseCreatableTopicResult({ name: t.name, numPartitions: 1, replicationFactor: 1 })),
          }),
        );
      }
      default:
        return 'close';
    }
  }
}
