/**
 * One client connection: framing, header parsing, dispatch to handlers, in-order responses, limits.
 *
 * Requests are dispatched as soon as they arrive (so a pipelined Produce does not wait for a parked Fetch to
 * be *started*), but responses leave strictly in request order: each request takes a slot in a queue and
 * the queue is flushed from its head. Memory is bounded by pausing the socket while responses are not
 * drained or too many requests are in flight, fetched bytes by the read memory budgets (read-memory.ts),
 * and a request frame by its deadline and by memory that grows only as its bytes arrive (socket-framer.ts).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode, errorCodeOf } from '../protocol/errors.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { readRequestHeader, requestHeaderVersion, responseHeaderVersion, writeResponseHeader } from '../protocol/headers.js';
import type { BrokerContext, RequestContext } from './context.js';
import type { BufferPool } from './buffer-pool.js';
import { CONNECTION_READ_MEMORY, type ConnectionReadMemory, type HeldMemory, heldUntilWritten, type ReadMemory } from './read-memory.js';
import { adoptWithOnread } from './onread-socket.js';
import { SocketFramer } from './socket-framer.js';
import type { Handler } from './handlers/handler.js';
import { CloseConnection } from './handlers/close-connection.js';
import { RespondAndClose } from './handlers/respond-and-close.js';
import { apiVersionsUnsupportedReply } from './handlers/api-versions.js';
import { aclHostOf, userPrincipal } from './acl/principals.js';
import { CONNECTION_AUTH, type ConnectionAuth } from './security/connection-auth.js';
import type { SaslSession } from './security/sasl-session.js';

/**
 * Requests dispatched but not yet answered on one connection; beyond it we stop taking frames (and reading).
 * Kafka itself serves one request per connection at a time; a few in parallel keep pipelined produce fast
 * while bounding memory to a few responses per connection.
 */
const MAX_IN_FLIGHT = 16;

interface Slot {
  done: boolean;
  /** Encoded response frame (size prefix first), or null for "no response". */
  chunks: Buffer[] | null;
  /** Close the connection once every response before this slot is written (see CloseConnection). */
  closeReason?: string;
  /** Close the connection once this slot's response is written (a failed SASL authentication). */
  closeAfter?: string;
  /** Read memory the response holds until the socket has written it (Fetch). */
  held: HeldMemory | undefined;
}

export interface ConnectionDeps {
  broker: BrokerContext;
  handlers: ReadonlyMap<number, Handler>;
  logger: Logger;
  /** Shared memory for large request frames (see buffer-pool.ts). */
  framePool: BufferPool;
  /** The broker-wide budget for fetched bytes (see read-memory.ts). */
  readMemory: ReadMemory;
  /** Listener, principal and SASL state (security/connection-auth.ts). */
  auth: ConnectionAuth;
  onClosed(conn: Connection): void;
}

export class Connection {
  readonly peer: string;
  private readonly socket: Socket;
  private readonly reader: SocketFramer;
  /** Shutting down: bytes still arriving are read (to see the peer's FIN) and dropped. */
  private discarding = false;
  private readonly queue: Slot[] = [];
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private clientId: string | null = null;
  /** Who is on the other end, for ACLs: anonymous until an authenticator replaces it. */
  /** The peer's address as ACL hosts name it. */
  private readonly clientHost: string;
  private closed = false;
  private writeBlocked = false;
  /** The incomplete frame being timed (`reader.framesTaken` when it was first seen), or -1. */
  private partialFrame = -1;
  /** When that frame's first byte arrived (ms). */
  private partialSince = 0;
  /** Checks the partial-frame deadline; armed while a frame is incomplete, at most one per connection. */
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly memory: ConnectionReadMemory;
  private drainWaiters: Array<() => void> = [];
  private readonly state = new Map<string, unknown>();
  private pumping = false;
  private flushScheduled = false;

  /** `accepted` comes from a server with `pauseOnConnect`; it is replaced by a socket reading into our buffers. */
  constructor(
    accepted: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    const cfg = deps.broker.config;
    // Until a SASL connection has authenticated, its frames are held to sasl.server.max.receive.size (as Kafka).
    const sasl = deps.auth.sasl;
    this.reader = new SocketFramer(sasl === null ? cfg.maxRequestSize : Math.min(cfg.saslServerMaxReceiveSize, cfg.maxRequestSize), deps.framePool);
    if (sasl !== null) {
      sasl.onAuthenticated = (user) => {
        deps.auth.principal = userPrincipal(user);
        this.reader.maxFrameSize = cfg.maxRequestSize;
      };
    }
    this.memory = deps.readMemory.forConnection(cfg.maxPendingResponseBytes);
    this.state.set(CONNECTION_READ_MEMORY, this.memory);
    if (deps.auth.sasl !== null) this.state.set(CONNECTION_AUTH, deps.auth);
    // Reads land in the frame being assembled (or a reused staging buffer), not a fresh 64 KiB chunk each.
    const adopted = deps.auth.plainTcp
      ? adoptWithOnread(accepted, {
          buffer: () => this.reader.readTarget(),
          callback: (n, target) => this.onRead(n, target),
        })
      : null;
    const socket = adopted ?? accepted;
    this.socket = socket;
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.clientHost = aclHostOf(socket.remoteAddress);
    this.log = deps.logger.child({ peer: this.peer });
    socket.setNoDelay(true);
    socket.setTimeout(cfg.connectionsMaxIdleMs);
    if (!adopted) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.resume();
    }
    socket.on('timeout', () => this.onTimeout());
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
    this.log.debug('connection opened');
  }

  /** Stops reading, lets in-flight requests finish (parked fetches return early) and closes. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.socket.pause();
    this.abort.abort();
    const drained = new Promise<void>((resolve) => {
      if (this.queue.length === 0) resolve();
      else this.drainWaiters.push(resolve);
    });
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([drained, grace]);
    clearTimeout(timer);
    if (!this.closed) {
      await new Promise<void>((resolve) => {
        // Not unref'd: a script awaiting broker.close() must not exit (code 13) while a peer that never
        // hangs up is given its second.
        const force = setTimeout(() => this.socket.destroy(), 1000);
        this.socket.once('close', () => {
          clearTimeout(force);
          resolve();
        });
        // Read to EOF, discarding new requests: a paused socket never sees the peer's FIN, so never closes.
        this.discarding = true;
        this.reader.discard();
        this.socket.resume();
        this.socket.end();
      });
    }
  }

  /** Closes this connection only, after logging why (once). */
  private fail(reason: string, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.log.warn({ ...details, clientId: this.clientId }, `closing connection: ${reason}`);
    this.destroy();
  }

  /** Closes after what was written so far has left (a refused acks=0 produce; see CloseConnection). */
  private closeAfterWrites(reason: string): void {
    if (this.closed) return;
    this.log.info({ clientId: this.clientId }, `closing connection: ${reason}`);
    this.closed = true;
    this.abort.abort();
    this.socket.end(() => this.socket.destroy());
    setTimeout(() => this.socket.destroy(), 1000).unref(); // a peer that stopped reading cannot hold it open
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.socket.destroy();
  }

  private onSocketClosed(): void {
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.deadlineTimer);
    this.queue.length = 0;
    this.memory.close(); // what unwritten responses and read-ahead held goes back to the broker
    this.state.clear();
    for (const w of this.drainWaiters.splice(0)) w();
    this.log.debug('connection closed');
    this.deps.onClosed(this);
  }

  /** A read landed in a buffer the framer chose. Always keeps reading: `pump` pauses the socket when needed. */
  private onRead(n: number, target: Uint8Array): boolean {
    if (this.closed) return true;
    this.reader.landed(n, target);
    if (this.discarding) this.reader.discard();
    else this.pump();
    return true;
  }

  /** Fallback for a socket that could not read into our buffers: its chunks are copied in. */
  private onData(chunk: Buffer): void {
    if (this.closed || this.discarding) return;
    this.reader.push(chunk);
    this.pump();
  }

  /** Dispatching stops while responses are not drained or too many requests are in flight. */
  private canDispatch(): boolean {
    return !this.closed && !this.abort.signal.aborted && !this.writeBlocked && this.queue.length < MAX_IN_FLIGHT;
  }

  /** Takes complete frames while allowed, then sets reading and the timeout to match. Not re-entrant. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.canDispatch()) {
        const next = this.reader.next();
        if (next === null) break;
        if (!Buffer.isBuffer(next)) {
          if (next.kind === 'too-large') {
            this.deps.broker.services.metrics?.refused('max-request-size');
            const preAuth = this.deps.auth.sasl !== null && !this.deps.auth.sasl.authenticated;
            this.fail(`request size above the limit (raise ${preAuth ? '--sasl-server-max-receive-size: not yet authenticated' : '--max-request-size'} if this is legitimate)`, { size: next.size, limit: next.limit });
          } else {
            this.fail('negative request size', { size: next.size });
          }
          return;
        }
        this.onFrame(next);
      }
    } finally {
      this.pumping = false;
    }
    if (this.closed || this.abort.signal.aborted) return;
    const dispatching = this.canDispatch();
    if (!dispatching && !this.socket.isPaused()) this.socket.pause();
    else if (dispatching && this.socket.isPaused()) this.socket.resume();
    // An incomplete frame has a deadline from its first byte (a peer sending a byte now and then does not
    // extend it). Not counted while we are not reading: then the wait is ours, not the peer's.
    if (dispatching && this.reader.midFrame) {
      const frame = this.reader.framesTaken;
      if (frame !== this.partialFrame) {
        this.partialFrame = frame;
        this.partialSince = Date.now();
        if (this.deadlineTimer === undefined) this.armDeadline(this.deps.broker.config.partialFrameTimeoutMs);
      }
    } else {
      this.partialFrame = -1;
    }
  }

  /** One timer per connection, re-armed for the frame then incomplete, not set and cleared per frame. */
  private armDeadline(ms: number): void {
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      if (this.closed || this.partialFrame < 0) return;
      const left = this.partialSince + this.deps.broker.config.partialFrameTimeoutMs - Date.now();
      if (left > 0) this.armDeadline(left);
      else {
        this.deps.broker.services.metrics?.refused('partial-frame-timeout-ms');
        this.fail('request frame incomplete at its deadline (--partial-frame-timeout-ms)', { bufferedBytes: this.reader.pendingBytes });
      }
    }, ms);
  }

  private onTimeout(): void {
    if (this.queue.length === 0) {
      this.log.info('closing idle connection');
      this.destroy();
    } else if (this.writeBlocked) {
      // Responses wait to be written and nothing moved for connections.max.idle.ms: the client stopped
      // reading. Kafka's idle check closes such a connection too; here it also frees the memory it holds.
      this.deps.broker.services.metrics?.refused('connections-max-idle-ms');
      this.fail('client stopped reading responses (--connections-max-idle-ms)', { queued: this.queue.length, heldBytes: this.memory.bytesHeld });
    }
    // Otherwise requests are still in flight (e.g. a parked fetch): the next write re-arms the timer.
  }

  private onFrame(frame: Buffer): void {
    const sasl = this.deps.auth.sasl;
    if (sasl !== null && !sasl.authenticated && this.beforeAuthentication(frame, sasl)) return;
    if (frame.length < 8) {
      this.fail('request frame too short for a header', { size: frame.length });
      return;
    }
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const handler = this.deps.handlers.get(apiKey);
    if (!handler) {
      // Kafka closes the connection on an API key it does not know; clients never send unadvertised keys.
      this.fail('unknown or unsupported API key', { apiKey, apiVersion });
      return;
    }
    const codec = handler.codec;
    let header;
    const r = new Reader(frame);
    try {
      header = readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
    } catch (err) {
      this.fail('malformed request header', { apiKey, apiVersion, err: (err as Error).message });
      return;
    }
    this.clientId = header.clientId;
    const { correlationId } = header;
    const supported = apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;

    if (!supported) this.deps.broker.services.metrics?.unsupportedVersion(apiKey, apiVersion);
    if (!supported && apiKey === ApiKey.ApiVersions) {
      // Clients retry lower after this v0-format reply (KIP-511); it lists our ranges.
      const res = apiVersionsUnsupportedReply(this.deps.broker);
      this.enqueueValue(handler, 0, correlationId, res, 0);
      return;
    }
    const decodable = apiVersion >= codec.minVersion && apiVersion <= codec.maxVersion;
    if (!supported && (!decodable || !handler.errorResponse)) {
      this.fail(`unsupported ${codec.name} version ${apiVersion} (we serve ${handler.minVersion}-${handler.maxVersion})`, { apiKey, apiVersion });
      return;
    }
    let req: unknown;
    try {
      req = codec.readRequest(r, apiVersion);
    } catch (err) {
      this.fail(`malformed ${codec.name} v${apiVersion} request`, { err: (err as Error).message });
      return;
    }
    if (!supported) {
      const message = `${codec.name} v${apiVersion} is not supported; this broker serves v${handler.minVersion}-v${handler.maxVersion}`;
      this.log.info({ apiKey, apiVersion }, message);
      this.enqueueValue(handler, apiVersion, correlationId, handler.errorResponse!(req, apiVersion, ErrorCode.UNSUPPORTED_VERSION, message));
      return;
    }

    const ctx: RequestContext = {
      broker: this.deps.broker,
      logs: this.deps.broker.logs,
      config: this.deps.broker.config,
      apiKey,
      apiVersion,
      correlationId,
      clientId: header.clientId,
      peer: this.peer,
      principal: this.deps.auth.principal,
      listenerName: this.deps.auth.listenerName,
      clientHost: this.clientHost,
      logger: this.log,
      signal: this.abort.signal,
      connectionState: this.state,
    };
    let result: unknown;
    try {
      result = handler.handle(ctx, req, apiVersion);
    } catch (err) {
      result = Promise.reject(err);
    }
    const metrics = this.deps.broker.services.metrics;
    if (metrics) result = metrics.observeRequest(apiKey, apiVersion, result);
    const recycle = handler.recyclesRequest ? (): void => this.deps.framePool.release(frame) : undefined;
    if (result instanceof Promise) {
      const slot = this.pushSlot();
      result.then(
        (res) => {
          this.complete(slot, handler, apiVersion, correlationId, res);
          recycle?.();
        },
        (err: unknown) => this.completeWithFailure(slot, handler, req, apiVersion, correlationId, err),
      );
    } else {
      this.enqueueValue(handler, apiVersion, correlationId, result);
      recycle?.();
    }
  }

  /**
   * A SASL listener's frame before authentication. Returns true when it was taken here: a raw SASL token after
   * SaslHandshake v0 (no Kafka header, answered the same way), or a request other than ApiVersions,
   * SaslHandshake and SaslAuthenticate, on which Kafka's authenticator closes the connection.
   */
  private beforeAuthentication(frame: Buffer, sasl: SaslSession): boolean {
    if (sasl.rawTokens) {
      const slot = this.pushSlot();
      void sasl.step(frame).then(async (step) => {
        if (step.kind === 'failed') {
          // v0 has no error response: after the delay the connection is closed (as Kafka does).
          this.log.warn({ clientId: this.clientId }, `authentication failed: ${step.message}`);
          const ms = this.deps.broker.config.connectionFailedAuthenticationDelayMs;
          if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
          slot.closeReason = `authentication failed: ${step.message}`;
        } else {
          const token = step.kind === 'continue' ? step.challenge : step.response;
          const size = Buffer.allocUnsafe(4);
          size.writeInt32BE(token.length, 0);
          slot.chunks = [size, token];
          if (step.kind === 'done') sasl.succeeded(step.user);
        }
        if (this.closed) return;
        slot.done = true;
        this.scheduleFlush();
      });
      return true;
    }
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    if (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate) return false;
    this.fail('request before SASL authentication on a SASL listener', { apiKey });
    return true;
  }

  private completeWithFailure(slot: Slot, handler: Handler, req: unknown, version: number, correlationId: number, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (!handler.errorResponse) {
      this.log.error({ err }, `${handler.codec.name} handler failed`);
      this.fail('handler failed and the API has no error response');
      return;
    }
    this.log.error({ err }, `${handler.codec.name} handler failed; answering UNKNOWN_SERVER_ERROR`);
    const code = errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR);
    this.complete(slot, handler, version, correlationId, handler.errorResponse(req, version, code, message));
  }

  private pushSlot(): Slot {
    const slot: Slot = { done: false, chunks: null, held: undefined };
    this.queue.push(slot);
    return slot;
  }

  private enqueueValue(handler: Handler, version: number, correlationId: number, res: unknown, headerVersion?: number): void {
    const slot = this.pushSlot();
    this.complete(slot, handler, version, correlationId, res, headerVersion);
  }

  private complete(slot: Slot, handler: Handler, version: number, correlationId: number, res: unknown, headerVersion?: number): void {
    if (this.closed) return;
    slot.done = true;
    slot.held = heldUntilWritten(res);
    if (res instanceof CloseConnection) slot.closeReason = res.reason;
    else if (res instanceof RespondAndClose) {
      slot.closeAfter = res.reason;
      res = res.response;
    }
    if (slot.closeReason === undefined && res !== null && res !== undefined) {
      try {
        slot.chunks = this.encode(handler, version, correlationId, res, headerVersion);
      } catch (err) {
        this.log.error({ err }, `failed to encode ${handler.codec.name} v${version} response`);
        this.fail('response encoding failed');
        return;
      }
    }
    this.scheduleFlush();
  }

  /**
   * Flushes once the promise reactions now running have settled: the responses of a produce group (and of
   * any other requests finishing together) then leave in one writev instead of one write each.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      if (!this.closed) this.flush();
    });
  }

  private encode(handler: Handler, version: number, correlationId: number, res: unknown, headerVersion?: number): Buffer[] {
    const w = new Writer();
    w.int32(0); // size prefix, patched below
    writeResponseHeader(w, headerVersion ?? responseHeaderVersion(handler.codec.apiKey, version), correlationId);
    handler.codec.writeResponse(w, version, res);
    w.patchInt32(0, w.length - 4);
    return w.toChunks();
  }

  /** Writes every finished response at the head of the queue, in order, corked into one syscall. */
  private flush(): void {
    let i = 0;
    let corked = false;
    while (i < this.queue.length && this.queue[i]!.done) {
      const slot = this.queue[i]!;
      if (slot.closeReason !== undefined) break;
      const chunks = slot.chunks;
      if (chunks) {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        const last = chunks.length - 1;
        for (let c = 0; c <= last; c++) {
          const chunk = chunks[c]!;
          // Pooled fetch memory goes back once the socket has written it (the kernel holds its own copy), and
          // with the response's last chunk, the read memory it held.
          const buffers = this.memory.buffers;
          const lent = buffers.isLent(chunk);
          const held = c === last ? slot.held : undefined;
          let ok: boolean;
          if (held !== undefined) {
            ok = this.socket.write(chunk, () => {
              if (lent) buffers.release(chunk);
              this.memory.release(held.fetch, held.bytes);
            });
          } else if (lent) ok = this.socket.write(chunk, () => buffers.release(chunk));
          else ok = this.socket.write(chunk);
          if (!ok) this.writeBlocked = true;
        }
        if (slot.closeAfter !== undefined) {
          this.queue.splice(0, i + 1);
          this.socket.uncork();
          this.closeAfterWrites(slot.closeAfter);
          return;
        }
      } else if (slot.held !== undefined) {
        this.memory.release(slot.held.fetch, slot.held.bytes);
      }
      i++;
    }
    if (i > 0) this.queue.splice(0, i);
    if (corked) this.socket.uncork();
    const closeReason = this.queue[0]?.done ? this.queue[0].closeReason : undefined;
    if (closeReason !== undefined) {
      this.closeAfterWrites(closeReason);
      return;
    }
    if (this.queue.length === 0) for (const w of this.drainWaiters.splice(0)) w();
    if (i > 0) this.pump(); // room in the queue: take more frames (no-op while pumping)
  }
}
