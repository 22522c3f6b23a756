/**
 * One TCP connection to a Kafka broker: size-prefixed frames, correlation ids, any number of requests in
 * flight (Kafka answers a connection's requests in order), and ApiVersions negotiation on connect so every
 * request uses the highest version both sides speak, within the range this client was written for.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ApiKey } from '../protocol/api-keys.js';
import type { ApiCodec } from '../protocol/codec.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { requestHeaderVersion, responseHeaderVersion, writeRequestHeader } from '../protocol/headers.js';
import { ApiVersions } from '../protocol/messages/api-versions.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { BrokerConnectionError, RequestTimeoutError, ResponseTooLargeError, UnsupportedApiError } from './errors.js';
import { authenticate } from './sasl.js';
import type { ClientSecurity } from './security.js';

/** The versions this client uses per API key: standard, non-topic-id versions every current Kafka serves. */
export const CLIENT_VERSIONS: Readonly<Record<number, readonly [number, number]>> = {
  [ApiKey.Produce]: [3, 9],
  [ApiKey.Fetch]: [4, 12], // 13+ address topics by id
  [ApiKey.ListOffsets]: [1, 8],
  [ApiKey.Metadata]: [1, 12],
  [ApiKey.ApiVersions]: [0, 4],
  [ApiKey.CreateTopics]: [2, 7],
  [ApiKey.DeleteTopics]: [1, 5],
  // Transactions (client forms only: AddPartitionsToTxn v4+ is the brokers' batched form).
  [ApiKey.InitProducerId]: [0, 4],
  [ApiKey.AddPartitionsToTxn]: [0, 3],
  [ApiKey.AddOffsetsToTxn]: [0, 3],
  [ApiKey.EndTxn]: [0, 3],
  [ApiKey.TxnOffsetCommit]: [0, 3],
  [ApiKey.OffsetFetch]: [1, 7], // 8+ batch groups
  [ApiKey.FindCoordinator]: [1, 3], // 4+ batch keys
};

interface Pending {
  resolve: (body: Reader) => void;
  reject: (error: Error) => void;
  api: string;
  responseHeaderVersion: number;
  timer: NodeJS.Timeout | undefined;
}

export interface ConnectionOptions extends ClientSecurity {
  clientId?: string;
  /** Per-request timeout (default 30,000 ms); a timed-out request closes the connection. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * The largest response accepted (librdkafka's `receive.message.max.bytes`, same default: 100,000,000). A
   * larger or negative size prefix closes the connection with ResponseTooLargeError before anything is
   * allocated for it. Must exceed the largest fetch asked for (the wire transport's `fetchMaxBytes`, 8 MiB).
   */
  receiveMessageMaxBytes?: number;
}

export const DEFAULT_RECEIVE_MESSAGE_MAX_BYTES = 100_000_000;

/** Frames at least this large are assembled in pooled buffers (Fetch responses); smaller ones are allocated. */
const POOLED_FRAME_BYTES = 256 * 1024;
/**
 * Memory a large response gets before its bytes arrive; it doubles (one copy of what arrived) each time it
 * fills. 16 MiB holds a Fetch response at the wire transport's 8 MiB and twice that, so those are read in
 * one piece; a size prefix alone (a hostile or broken peer) can make the client hold no more than this.
 */
export const UPFRONT_RESPONSE_BYTES = 16 * 1024 * 1024;
/** Socket reads land here while no frame larger than one read is being assembled. */
const STAGING_BYTES = 64 * 1024;

export class BrokerConnection {
  readonly address: string;
  private readonly socket: net.Socket;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  /** The 4-byte size prefix being read (it may span socket chunks). */
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeFilled = 0;
  /** The buffer of the frame being assembled (may be shorter or longer than the frame), its size, and how much has arrived. */
  private frame: Buffer | undefined;
  private frameSize = 0;
  private frameFilled = 0;
  /** Reused read buffer (see `readTarget`); frames found in it are copied out before the next read. */
  private readonly staging = Buffer.allocUnsafe(STAGING_BYTES);
  /** Large receive buffers handed back by `releaseFrame`, reused to spare allocation, page faults and GC. */
  private readonly pool: Buffer[] = [];
  private readonly pooled = new WeakSet<ArrayBufferLike>();
  private failure: Error | undefined;
  private versions = new Map<number, [number, number]>();
  private readonly clientId: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private closeListeners: ((error: Error) => void)[] = [];

  private constructor(readonly host: string, readonly port: number, options: ConnectionOptions) {
    this.address = `${host}:${port}`;
    this.clientId = options.clientId ?? 'kafkaesque';
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.receiveMessageMaxBytes ?? DEFAULT_RECEIVE_MESSAGE_MAX_BYTES;
    if (!Number.isInteger(this.maxResponseBytes) || this.maxResponseBytes < 1) {
      throw new RangeError(`receiveMessageMaxBytes must be a whole number of bytes ≥ 1, not ${options.receiveMessageMaxBytes}`);
    }
    // Reads go into buffers we choose (`onread`): the frame being assembled, so a multi-megabyte Fetch response
    // arrives with no intermediate copy and no 64 KiB chunk allocated (and collected) per read.
    if (options.ssl) {
      // TLS sockets cannot read into our buffers (no onread): their chunks take the copying path.
      const given = options.ssl === true ? {} : options.ssl;
      this.socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...given });
      this.socket.setNoDelay(true);
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      this.socket = net.connect({
        host,
        port,
        noDelay: true,
        onread: { buffer: () => this.readTarget(), callback: (n: number, target: Uint8Array) => this.onRead(n, target) },
      });
    }
    this.socket.on('error', (error) => this.fail(new BrokerConnectionError(this.address, error.message, { cause: error })));
    this.socket.on('close', () => this.fail(new BrokerConnectionError(this.address, 'the broker closed the connection')));
  }

  /** Connects and negotiates API versions. */
  static async connect(host: string, port: number, options: ConnectionOptions = {}): Promise<BrokerConnection> {
    const connection = new BrokerConnection(host, port, options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.socket.destroy();
        reject(new BrokerConnectionError(connection.address, `no connection within ${options.connectTimeoutMs ?? 10_000} ms`));
      }, options.connectTimeoutMs ?? 10_000);
      connection.socket.once(options.ssl ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new BrokerConnectionError(connection.address, error.message, { cause: error }));
      });
    });
    try {
      await connection.negotiate();
      if (options.sasl) await authenticate(connection, options.sasl);
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  onClose(listener: (error: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.closeListeners.push(listener);
  }

  private async negotiate(): Promise<void> {
    const request = { clientSoftwareName: 'kafkaesque', clientSoftwareVersion: '0.1.0' };
    let response = await this.send(ApiVersions, 3, request);
    if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) response = await this.send(ApiVersions, 0, request);
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, `ApiVersions from ${this.address}`);
    for (const api of response.apiKeys) this.versions.set(api.apiKey, [api.minVersion, api.maxVersion]);
  }

  /** The version to use for an API: the highest both this client and the broker support. */
  version(codec: ApiCodec<unknown, unknown>): number {
    const ours = CLIENT_VERSIONS[codec.apiKey] ?? [codec.minVersion, codec.maxVersion];
    const theirs = this.versions.get(codec.apiKey);
    const low = Math.max(ours[0], codec.minVersion, theirs?.[0] ?? Infinity);
    const high = Math.min(ours[1], codec.maxVersion, theirs?.[1] ?? -1);
    if (theirs === undefined || high < low) {
      throw new UnsupportedApiError(this.address, codec.name, `${ours[0]}-${ours[1]}`, theirs ? `${theirs[0]}-${theirs[1]}` : 'none');
    }
    return high;
  }

  /** Sends a request at the negotiated version and resolves with the decoded response. */
  request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res> {
    return this.send(codec, this.version(codec as ApiCodec<unknown, unknown>), body);
  }

  /** Sends a request at an explicit version. Requests are written in call order and answered in order. */
  send<Req, Res>(codec: ApiCodec<Req, Res>, version: number, body: Req): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const w = new Writer(512);
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(codec.apiKey, version), { apiKey: codec.apiKey, apiVersion: version, correlationId, clientId: this.clientId });
    codec.writeRequest(w, version, body);
    const chunks = w.toChunks();
    const first = chunks[0] as Buffer;
    first.writeInt32BE(w.length - 4, 0);
    return new Promise<Res>((resolve, reject) => {
      const pending: Pending = {
        resolve: (reader) => {
          try {
            resolve(codec.readResponse(reader, version));
          } catch (error) {
            reject(error as Error);
          }
        },
        reject,
        api: codec.name,
        responseHeaderVersion: responseHeaderVersion(codec.apiKey, version),
        timer: undefined,
      };
      if (this.timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          const error = new RequestTimeoutError(this.address, codec.name, this.timeoutMs);
          this.fail(error);
        }, this.timeoutMs);
        pending.timer.unref();
      }
      this.pending.set(correlationId, pending);
      if (chunks.length === 1) this.socket.write(first);
      else {
        this.socket.cork();
        for (const chunk of chunks) this.socket.write(chunk);
        this.socket.uncork();
      }
    });
  }

  /** Resolves when the socket's write buffer drained (backpressure for large produce pipelines). */
  get writableNeedDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Where the next socket read lands: straight into the unfinished frame, else the staging buffer. */
  private readTarget(): Uint8Array {
    if (this.frame === undefined) return this.staging;
    const room = this.frameRoom();
    return room.subarray(this.frameFilled, Math.min(room.length, this.frameSize));
  }

  /** The frame's buffer, doubled (up to the frame's size) if what has arrived fills it. */
  private frameRoom(): Buffer {
    const frame = this.frame as Buffer;
    if (this.frameFilled < frame.length) return frame;
    const bigger = this.acquire(Math.min(this.frameSize, frame.length * 2));
    frame.copy(bigger, 0, 0, this.frameFilled);
    this.releaseFrame(frame);
    this.frame = bigger;
    return bigger;
  }

  /** Always true: keep reading (backpressure is per request, not per socket). */
  private onRead(n: number, target: Uint8Array): boolean {
    if (this.failure) return true;
    if (target === this.staging) {
      this.onData(this.staging.subarray(0, n));
      return true;
    }
    // The read went into the frame (a read never runs past its end: the target ends where the frame does).
    this.frameFilled += n;
    if (this.frameFilled === this.frameSize) this.completeFrame();
    return true;
  }

  private completeFrame(): void {
    const frame = (this.frame as Buffer).subarray(0, this.frameSize);
    this.frame = undefined;
    this.dispatch(frame);
  }

  /** Parses bytes read into the staging buffer, which the next read overwrites: frames leave it as copies. */
  private onData(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frame === undefined) {
        if (this.sizeFilled === 0 && chunk.length - pos >= 4) {
          const size = chunk.readInt32BE(pos);
          pos += 4;
          // A frame wholly inside this chunk is small (at most one read): copy it out of the staging buffer.
          if (chunk.length - pos >= size && size >= 4 && size <= this.maxResponseBytes) {
            this.dispatch(Buffer.from(chunk.subarray(pos, pos + size)));
            pos += size;
            continue;
          }
          this.startFrame(size);
          if (this.failure) return;
        } else {
          while (this.sizeFilled < 4 && pos < chunk.length) this.sizeBytes[this.sizeFilled++] = chunk[pos++] as number;
          if (this.sizeFilled < 4) return;
          this.sizeFilled = 0;
          this.startFrame(this.sizeBytes.readInt32BE(0));
          if (this.failure) return;
        }
      }
      const frame = this.frameRoom();
      const n = Math.min(Math.min(frame.length, this.frameSize) - this.frameFilled, chunk.length - pos);
      chunk.copy(frame, this.frameFilled, pos, pos + n);
      this.frameFilled += n;
      pos += n;
      if (this.frameFilled === this.frameSize) this.completeFrame();
    }
  }

  /** Checks a size prefix against the limit, then sets aside at most UPFRONT_RESPONSE_BYTES for the frame. */
  private startFrame(size: number): void {
    // Every response starts with its 4-byte correlation id.
    if (size < 4 || size > this.maxResponseBytes) {
      this.fail(new ResponseTooLargeError(this.address, size, this.maxResponseBytes));
      return;
    }
    this.frameFilled = 0;
    this.frameSize = size;
    this.frame = size >= POOLED_FRAME_BYTES ? this.acquire(Math.min(size, UPFRONT_RESPONSE_BYTES)) : Buffer.allocUnsafe(size);
  }

  /** A pooled buffer of at least `n` bytes (n ≥ POOLED_FRAME_BYTES), reused if one is free. */
  private acquire(n: number): Buffer {
    const i = this.pool.findIndex((b) => b.length >= n);
    return i >= 0 ? (this.pool.splice(i, 1)[0] as Buffer) : this.allocatePooled(n);
  }

  private allocatePooled(size: number): Buffer {
    const buffer = Buffer.allocUnsafeSlow(Math.ceil(size / (1 << 20)) * (1 << 20));
    this.pooled.add(buffer.buffer);
    return buffer;
  }

  /**
   * Hands a response's bytes back for reuse (e.g. a Fetch response's records once decoded). Only call it when
   * nothing refers to that response any more; buffers this connection did not pool are ignored.
   */
  releaseFrame(bytes: Buffer): void {
    const buffer = bytes.buffer;
    if (!this.pooled.has(buffer) || this.pool.length >= 4 || this.pool.some((b) => b.buffer === buffer)) return;
    this.pool.push(Buffer.from(buffer, 0, buffer.byteLength));
  }

  private dispatch(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.pending.get(correlationId);
    if (!pending) {
      this.fail(new BrokerConnectionError(this.address, `response with unknown correlation id ${correlationId}`));
      return;
    }
    this.pending.delete(correlationId);
    if (pending.timer) clearTimeout(pending.timer);
    const reader = new Reader(frame);
    reader.offset = 4;
    if (pending.responseHeaderVersion >= 1) reader.taggedFields('_tagged_fields');
    pending.resolve(reader);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.socket.destroy();
    for (const pending of this.pending.values()) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }

  close(): void {
    this.fail(new BrokerConnectionError(this.address, 'closed by the client'));
  }
}
