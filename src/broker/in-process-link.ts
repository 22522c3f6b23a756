/**
 * The broker's in-process link: capture and replay in the broker's own process reach its log directly,
 * without TCP and without the Kafka framing (src/link/in-process-link.ts has the shapes).
 *
 * On the broker's thread the link is called directly. Worker threads get a MessagePort each
 * (`execute(config, job, { ports: inProcessLink(broker).ports })`) served here: appended batches arrive as
 * transferred ArrayBuffers and go back the same way once written; reads land in the link's pooled memory,
 * leave transferred and come back once decoded. No byte is copied between threads. Appends take the
 * produce path (produce guard, group commit, the log's validation, offset assignment and fsync policy), so
 * Fetch long-polls and the link's own parked reads wake on them; a read waiting for data parks on the log's
 * append wake-up, never on a timer (only a read of a topic that does not exist yet rechecks every 250 ms,
 * unless the link creates the topic first).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ErrorCode, errorCodeOf } from '../protocol/errors.js';
import {
  IN_PROCESS_PORT,
  type AbortedTxn,
  type KafkaReply,
  type AppendReply,
  type InProcessBrokerLink,
  type LinkFailure,
  type LinkRequest,
  type LinkResponse,
  type MovedBytes,
  type PrepareTopicReply,
  type ReadOptions,
  type ReadReply,
} from '../link/in-process-link.js';
import type { BrokerContext } from './context.js';
import { appendToPartition } from './partition-append.js';
import type { RunningBroker } from './running-broker.js';
import { BufferPool } from './buffer-pool.js';
import type { ReadBuffers } from './log/read-buffers.js';
import { topicNameProblem } from './topic-name.js';
import type { RequestContext } from './context.js';
import { handlerMap } from './handlers/index.js';
import type { Handler } from './handlers/handler.js';
import { abortedTransactionsFor, trimToStable } from './txn/read-committed.js';
import { IN_PROCESS_PRINCIPAL } from './acl/principals.js';
import { isSealed } from '../link/sealed-batches.js';

/** How long a read of a missing topic waits before looking again, unless this link creates the topic first. */
const MISSING_TOPIC_RECHECK_MS = 250;

function failure(errorCode: number, message: string): LinkFailure {
  return { kind: 'error', errorCode, message };
}

/** Wakes every registered waiter at once (topic creations); a waiter that gave up unregisters. */
class Wakeup {
  private readonly waiters = new Set<() => void>();
  /** Calls `wake` on the next `fire()`; returns the unregister. */
  on(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
  fire(): void {
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }
}

export class InProcessLink implements InProcessBrokerLink {
  private readonly created = new Wakeup();
  private readonly served = new Set<MessagePort>();
  /** Reads in progress: closing the link answers the parked ones at once. */
  private readonly reading = new Set<AbortController>();
  /**
   * Memory of reads served over ports: a read lands in a block of this pool (the log's `buffers` option),
   * the block moves to the reader's thread with the reply and comes back through `recycle` once decoded, so
   * no fresh megabytes (page faults, zeroing, garbage) per read. 32 MiB of free blocks kept at most.
   */
  private readonly readBuffers = new BufferPool({ movable: true, minPooled: 64 * 1024, maxPooled: 32 << 20, maxFreeBytes: 32 << 20 });
  private closed: string | undefined;

  constructor(private readonly broker: BrokerContext, closing?: AbortSignal) {
    if (closing?.aborted) this.close();
    else closing?.addEventListener('abort', () => this.close(), { once: true });
  }

  private closedFailure(): LinkFailure {
    return failure(ErrorCode.BROKER_NOT_AVAILABLE, this.closed ?? 'the embedded broker is closed');
  }

  async prepareTopic(topic: string, replace: boolean, keep = false): Promise<PrepareTopicReply> {
    if (this.closed) return this.closedFailure();
    const nameProblem = topicNameProblem(topic);
    if (nameProblem) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    const topics = this.broker.topics;
    try {
      const existing = topics.get(topic);
      if (existing) {
        const log = topics.partition(topic, 0);
        const end = log?.highWatermark ?? 0n;
        if (keep && !replace && existing.partitions === 1) {
          return { kind: 'ready', maxBatchBytes: log?.config.maxMessageBytes ?? this.broker.config.maxMessageBytes, records: end };
        }
        if (end > 0n || existing.partitions !== 1) {
          if (!replace) return { kind: 'not-empty', records: end - (log?.logStartOffset ?? 0n), partitions: existing.partitions };
          // As DeleteTopics then CreateTopics would: committed offsets go with the old topic.
          await topics.delete(topic);
          this.broker.services.groups?.deleteTopic(topic);
          this.broker.logger.info({ topic }, 'in-process link: replaced topic');
          await topics.create(topic, 1, {});
        }
      } else {
        await topics.create(topic, 1, {});
        this.broker.logger.info({ topic, partitions: 1 }, 'in-process link: created topic');
      }
    } catch (err) {
      return failure(errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR), (err as Error).message);
    }
    this.created.fire();
    const log = topics.partition(topic, 0);
    if (!log) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" vanished right after creation`);
    return { kind: 'ready', maxBatchBytes: log.config.maxMessageBytes };
  }

  /**
   * Appends one batch exactly as Produce appends a partition's records (partition-append.ts), except that a
   * batch EventBatchBuilder sealed on this thread keeps the CRC it was just given (link/sealed-batches.ts).
   */
  append(topic: string, batch: Buffer): Promise<AppendReply> {
    return this.appendBatch(topic, batch, isSealed(batch));
  }

  /** `sealed`: EventBatchBuilder sealed `batch` in this process (checked by the caller), no socket in between. */
  private async appendBatch(topic: string, batch: Buffer, sealed: boolean): Promise<AppendReply> {
    if (this.closed) return this.closedFailure();
    const r = await appendToPartition(this.broker, this.broker.logger, topic, 0, batch, { closing: () => this.closed, ...(sealed ? { sealedInProcess: true } : {}) });
    if (!r.ok) return failure(r.errorCode, r.message);
    return { kind: 'appended', baseOffset: r.baseOffset };
  }

  read(topic: string, offset: bigint, maxBytes: number, options: ReadOptions): Promise<ReadReply> {
    return this.readInto(topic, offset, maxBytes, options);
  }

  /**
   * Answers a Kafka request with the broker's own handler, as a connection would (exactly-once capture's
   * transactional requests). The caller is code in this process, trusted like the link's appends.
   */
  async kafkaRequest(apiKey: number, version: number, body: unknown): Promise<KafkaReply> {
    if (this.closed) return this.closedFailure();
    const handler = (this.handlers ??= handlerMap()).get(apiKey);
    if (!handler || version < handler.minVersion || version > handler.maxVersion) {
      return failure(ErrorCode.UNSUPPORTED_VERSION, `API ${apiKey} v${version} is not served by this broker`);
    }
    const ctx: RequestContext = {
      broker: this.broker,
      logs: this.broker.logs,
      config: this.broker.config,
      apiKey,
      apiVersion: version,
      correlationId: 0,
      clientId: 'kafkaesque-in-process',
      peer: 'in-process',
      principal: IN_PROCESS_PRINCIPAL,
      clientHost: '127.0.0.1',
      listenerName: 'IN_PROCESS',
      logger: this.broker.logger,
      signal: this.closing.signal,
      connectionState: new Map(),
    };
    try {
      const res = await handler.handle(ctx, body, version);
      return { kind: 'kafka', body: res };
    } catch (err) {
      const code = errorCodeOf(err, ErrorCode.UNKNOWN_SERVER_ERROR);
      if (handler.errorResponse) return { kind: 'kafka', body: handler.errorResponse(body, version, code, (err as Error).message) };
      return failure(code, (err as Error).message);
    }
  }
  private handlers: Map<number, Handler> | undefined;
  private readonly closing = new AbortController();

  /** A read whose records land in `buffers` when they come from a file read. */
  private async readInto(topic: string, offset: bigint, maxBytes: number, options: ReadOptions, buffers?: ReadBuffers): Promise<ReadReply> {
    const stop = new AbortController();
    const abort = (): void => stop.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) stop.abort();
    this.reading.add(stop);
    try {
      return await this.readUntil(topic, offset, maxBytes, options.waitForData, stop.signal, buffers, options.readCommitted === true);
    } finally {
      this.reading.delete(stop);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  private async readUntil(topic: string, offset: bigint, maxBytes: number, waitForData: boolean, signal: AbortSignal, buffers?: ReadBuffers, readCommitted = false): Promise<ReadReply> {
    for (;;) {
      if (this.closed) return this.closedFailure();
      if (signal.aborted) return { kind: 'cancelled' };
      const log = this.broker.topics.partition(topic, 0);
      if (!log) {
        await this.topicCreated(signal);
        continue;
      }
      if (offset === log.highWatermark) {
        if (!waitForData) return { kind: 'records', records: null, highWatermark: offset };
        await log.waitForData(offset, signal);
        // Woken without data and still the same log: it was closed under us (the broker is shutting down).
        if (!this.closed && !signal.aborted && log.highWatermark === offset && this.broker.topics.partition(topic, 0) === log) {
          await this.topicCreated(signal); // re-checks after a short while instead of spinning
        }
        continue;
      }
      const txns = readCommitted ? this.broker.services.transactions?.partitions : undefined;
      const stable = txns?.lastStableOffset(log);
      if (stable !== undefined && offset >= stable && offset < log.highWatermark) {
        // Beyond the last stable offset: nothing committed to read until the open transaction closes.
        if (!waitForData) return { kind: 'records', records: null, highWatermark: log.highWatermark };
        await (txns as NonNullable<typeof txns>).whenClosed(log, signal);
        continue;
      }
      try {
        const r = await log.read(offset, maxBytes, buffers ? { buffers } : {});
        if (r.records) this.broker.services.metrics?.readOut(log, r.records);
        if (txns === undefined || stable === undefined || !r.records) return { kind: 'records', records: r.records, highWatermark: r.highWatermark };
        const loading = txns.ready(log); // the partition's .txnindex, read once (after a restart, before the first read)
        if (loading) await loading;
        // No transaction open or aborted here: the read is what read_uncommitted returns.
        if (stable >= r.highWatermark && !txns.hasAborted(log)) return { kind: 'records', records: r.records, highWatermark: r.highWatermark };
        const records = trimToStable(r.records, stable);
        const aborted: AbortedTxn[] = abortedTransactionsFor(txns, log, offset, records);
        return { kind: 'records', records, highWatermark: r.highWatermark, ...(aborted.length > 0 ? { aborted } : {}) };
      } catch (err) {
        return failure(errorCodeOf(err, ErrorCode.KAFKA_STORAGE_ERROR), (err as Error).message);
      }
    }
  }

  /** Resolves when this link creates a topic, after a short recheck interval, on abort, or on close. */
  private topicCreated(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unregister();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, MISSING_TOPIC_RECHECK_MS);
      const unregister = this.created.on(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  // ---- over MessagePorts ----------------------------------------------------------------------------------

  /** A new port served by this link, for a worker thread (or for a transport on this thread). */
  port(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.serve(port1);
    return port2;
  }

  /** For `execute(config, job, { ports: link.ports })`: each worker's port, under IN_PROCESS_PORT. */
  readonly ports = (_workerIndex: number): Record<string, MessagePort> => ({ [IN_PROCESS_PORT]: this.port() });

  private serve(port: MessagePort): void {
    this.served.add(port);
    const reads = new Map<number, AbortController>();
    const reply = (response: LinkResponse, transfer: ArrayBuffer[] = []): void => {
      try {
        port.postMessage(response, transfer);
      } catch {
        // the other side is gone; nothing to tell
      }
    };
    port.on('message', (request: LinkRequest) => {
      switch (request.op) {
        case 'prepare':
          void this.prepareTopic(request.topic, request.replace, request.keep === true).then((r) => reply({ id: request.id, reply: r }));
          return;
        case 'kafka':
          void this.kafkaRequest(request.apiKey, request.version, request.body).then((r) => reply({ id: request.id, reply: r }));
          return;
        case 'append': {
          const batch = bufferOf(request.bytes);
          // Ports are made by this process only (execute's workers): their `sealed` flag is the builder's word.
          void this.appendBatch(request.topic, batch, request.sealed === true).then((r) => {
            // The batch is written (or refused): its memory goes back to the pusher for the next batch.
            reply({ id: request.id, reply: r, bytes: request.bytes }, [request.bytes.buffer]);
          });
          return;
        }
        case 'read': {
          const controller = new AbortController();
          reads.set(request.id, controller);
          const options = { waitForData: request.waitForData, signal: controller.signal, readCommitted: request.readCommitted === true };
          void this.readInto(request.topic, request.offset, request.maxBytes, options, this.readBuffers).then((r) => {
            reads.delete(request.id);
            if (r.kind === 'records' && r.records) {
              const moved = this.readBuffers.handOver(r.records);
              reply({ id: request.id, reply: { kind: 'records', records: null, highWatermark: r.highWatermark, ...(r.aborted ? { aborted: r.aborted } : {}) }, bytes: moved.bytes }, moved.transfer);
            } else reply({ id: request.id, reply: r.kind === 'records' ? { kind: 'records', records: null, highWatermark: r.highWatermark } : r });
          });
          return;
        }
        case 'cancel':
          reads.get(request.id)?.abort();
          return;
        case 'recycle':
          this.readBuffers.adopt(request.buffer);
          return;
      }
    });
    port.on('close', () => {
      this.served.delete(port);
      for (const c of reads.values()) c.abort();
    });
    // The broker and the workers keep the process alive; a served port must not.
    port.unref();
  }

  /**
   * Stops taking work: parked reads and every later request are answered with BROKER_NOT_AVAILABLE (appends
   * already queued finish; the log's close waits for them). Called when the broker begins to close.
   */
  close(reason = 'the embedded broker closed'): void {
    if (this.closed) return;
    this.closed = reason;
    this.closing.abort();
    this.created.fire();
    for (const r of this.reading) r.abort();
  }
}

function bufferOf(bytes: MovedBytes): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

const links = new WeakMap<RunningBroker, InProcessLink>();

/**
 * The in-process link of a running broker (one per broker): call it directly on this thread, hand
 * `link.ports` to execute() for worker threads, or give a transport `link.port()`.
 */
export function inProcessLink(broker: RunningBroker): InProcessLink {
  let link = links.get(broker);
  if (!link) links.set(broker, (link = new InProcessLink(broker.context, broker.closing)));
  return link;
}
