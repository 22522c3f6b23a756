/**
 * The embedded transport: capture and replay straight into the log of a broker running in this process,
 * through its in-process link (src/link/in-process-link.ts) instead of TCP. Topics are exactly what the
 * wire transport writes — `<name>-<index>`, one partition, RecordBatch v2 with one msgpack record per event —
 * so kcat, kafkajs and the wire transport read them, and a restarted broker recovers them.
 *
 * On the broker's thread the link is called directly (no copy at all); on a worker thread it is the
 * MessagePort execute() handed the worker, and batches cross threads as transferred ArrayBuffers: the
 * pusher's batch memory goes to the broker and comes back for the next batch, read batches come over once.
 * As the wire pusher, several appends are in flight and push() applies backpressure; there are no retries.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Event } from '../../dataflow/event.js';
import { forEachRecord, nextFetchOffset } from '../event-batch.js';
import { EventBatchPusher } from '../event-batch-pusher.js';
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors.js';
import {
  moveBytes,
  type AppendReply,
  type InProcessBrokerLink,
  type LinkFailure,
  type LinkRequest,
  type LinkResponse,
  type PrepareTopicReply,
  type KafkaReply,
  type ReadOptions,
  type ReadReply,
} from '../../link/in-process-link.js';
import { isSealed } from '../../link/sealed-batches.js';
import type { EventIterator, IteratorOptions } from '../event-iterator.js';
import { TopicIterator } from '../topic-iterator.js';
import { BatchRejectedError } from '../batching-pusher.js';
import { EventDecoder } from '../event-codec.js';
import { ReadOwnership } from '../read-ownership.js';
import { TopicNotEmptyError, type EventPusher } from '../event-pusher.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { ApiCodec } from '../../protocol/codec.js';
import type { KafkaRequester } from '../../client/transactions.js';
import type { ExactlyOnceSetup } from '../event-batch-pusher.js';
import { commitStart, setUpExactlyOnce } from '../exactly-once-setup.js';
import { AbortedFilter } from '../committed-records.js';
import { eventBytes } from '../event-queue.js';
import type { EventTransport, PusherOptions } from '../transport.js';
import { FetchRecordReader, singleBrokerRecordIo } from '../fetch-record-reader.js';
import type { RecordReader, RecordReaderOptions } from '../record-reader.js';

export interface EmbeddedTransportOptions {
  /**
   * The broker's in-process link: `inProcessLink(broker)` on the broker's thread, or a MessagePort it serves
   * (on a worker: `workerPort(IN_PROCESS_PORT)`, which openTransport looks up).
   */
  link: InProcessBrokerLink | MessagePort;
  /** Bytes per record batch / append (default 1 MiB, at most the topic's max.message.bytes). */
  batchBytes?: number;
  /** Appends in flight per pusher (default 4). */
  maxInFlight?: number;
  /** Bytes buffered in a pusher before push() asks the caller to wait (default (maxInFlight + 2) × batchBytes). */
  maxBufferedBytes?: number;
  /**
   * Bytes per read (default 1 MiB; at least one whole batch). On a worker each read lands in a block of the
   * broker's read pool that moves to the reading thread; the typed arrays replayed from it are views of it,
   * so it goes back to the pool only if none is (read-ownership.ts), else to the collector. 1 MiB reads cost a quarter
   * fewer page faults than 8 MiB ones in the round trip, and the next read is always asked for before
   * decoding the current one. A replayed event that is kept keeps its read's block alive.
   */
  readMaxBytes?: number;
  /** Decoded bytes an iterator buffers ahead of replay (default 32 MiB). */
  maxQueuedBytes?: number;
}

/** The link failed as a whole (the port closed): every outstanding and later request gets this. */
function linkGone(message: string): LinkFailure {
  return { kind: 'error', errorCode: ErrorCode.BROKER_NOT_AVAILABLE, message };
}

/**
 * The link's client side over a MessagePort: requests carry ids, replies may arrive in any order. The port
 * keeps the thread alive only while requests are outstanding, so a finished job's thread can exit.
 */
class PortLink implements InProcessBrokerLink {
  private nextId = 1;
  private readonly pending = new Map<number, (response: LinkResponse) => void>();
  private gone: string | undefined;
  /** Memory of read replies, owned by the broker's read pool: handed back by `recycle`. */
  private readonly fromReads = new WeakSet<ArrayBufferLike>();

  constructor(private readonly port: MessagePort) {
    port.on('message', (response: LinkResponse) => {
      const settle = this.pending.get(response.id);
      if (!settle) return;
      this.pending.delete(response.id);
      if (this.pending.size === 0) port.unref();
      settle(response);
    });
    port.on('close', () => this.fail('the in-process link to the embedded broker closed (the broker stopped?)'));
    port.unref();
  }

  private fail(message: string): void {
    this.gone ??= message;
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, settle] of waiting) settle({ id, reply: linkGone(message) });
  }

  private request(message: Exclude<LinkRequest, { op: 'recycle' }>, transfer: ArrayBuffer[] = []): Promise<LinkResponse> {
    if (this.gone) return Promise.resolve({ id: message.id, reply: linkGone(this.gone) });
    return new Promise((resolve) => {
      this.pending.set(message.id, resolve);
      if (this.pending.size === 1) this.port.ref();
      try {
        this.port.postMessage(message, transfer);
      } catch (error) {
        this.pending.delete(message.id);
        resolve({ id: message.id, reply: linkGone(`posting to the embedded broker failed: ${(error as Error).message}`) });
      }
    });
  }

  async prepareTopic(topic: string, replace: boolean, keep = false): Promise<PrepareTopicReply> {
    return (await this.request({ op: 'prepare', id: this.nextId++, topic, replace, keep })).reply as PrepareTopicReply;
  }

  async kafkaRequest(apiKey: number, version: number, body: unknown): Promise<KafkaReply> {
    return (await this.request({ op: 'kafka', id: this.nextId++, apiKey, version, body })).reply as KafkaReply;
  }

  async append(topic: string, batch: Buffer): Promise<AppendReply> {
    // Asked before the move: the transferred buffer arrives as another object, so the mark travels as a flag.
    const sealed = isSealed(batch);
    const moved = moveBytes(batch);
    const response = await this.request({ op: 'append', id: this.nextId++, topic, bytes: moved.bytes, ...(sealed ? { sealed } : {}) }, moved.transfer);
    const back = response.bytes ? Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.length) : undefined;
    return { ...(response.reply as AppendReply), ...(back ? { batch: back } : {}) };
  }

  async read(topic: string, offset: bigint, maxBytes: number, options: ReadOptions): Promise<ReadReply> {
    const id = this.nextId++;
    const cancel = (): void => {
      if (!this.pending.has(id)) return;
      try {
        this.port.postMessage({ op: 'cancel', id } satisfies LinkRequest);
      } catch {
        // the broker is gone; the read is answered by the port's close
      }
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const response = await this.request({ op: 'read', id, topic, offset, maxBytes, waitForData: options.waitForData, readCommitted: options.readCommitted === true });
      const reply = response.reply as ReadReply;
      if (reply.kind === 'records' && response.bytes) {
        const b = response.bytes;
        this.fromReads.add(b.buffer);
        return { kind: 'records', records: Buffer.from(b.buffer, b.byteOffset, b.length), highWatermark: reply.highWatermark, ...(reply.aborted ? { aborted: reply.aborted } : {}) };
      }
      return reply;
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  recycle(records: Buffer): void {
    const memory = records.buffer;
    if (this.gone || !this.fromReads.has(memory)) return;
    this.fromReads.delete(memory);
    try {
      this.port.postMessage({ op: 'recycle', buffer: memory as ArrayBuffer } satisfies LinkRequest, [memory as ArrayBuffer]);
    } catch {
      // the broker is gone: the memory is simply collected
    }
  }
}

/** One client per port: every transport on a worker shares the port execute() handed it. */
const portLinks = new WeakMap<MessagePort, PortLink>();

function resolveLink(link: InProcessBrokerLink | MessagePort): InProcessBrokerLink {
  if (!isPort(link)) return link;
  let client = portLinks.get(link);
  if (!client) portLinks.set(link, (client = new PortLink(link)));
  return client;
}

function isPort(link: InProcessBrokerLink | MessagePort): link is MessagePort {
  return typeof (link as MessagePort).postMessage === 'function';
}

/**
 * Kafka requests over the link, at the versions this transport was written for (the handlers get the
 * decoded body as a connection would hand it over).
 */
const LINK_VERSIONS: Readonly<Record<number, number>> = {
  [ApiKey.InitProducerId]: 4,
  [ApiKey.AddPartitionsToTxn]: 3,
  [ApiKey.AddOffsetsToTxn]: 3,
  [ApiKey.EndTxn]: 3,
  [ApiKey.TxnOffsetCommit]: 3,
  [ApiKey.OffsetFetch]: 7,
  // fromKafka's record reader (fetch-record-reader.ts): Fetch 12 is the last by topic name.
  [ApiKey.Metadata]: 12,
  [ApiKey.Fetch]: 12,
  [ApiKey.ListOffsets]: 7,
  [ApiKey.OffsetCommit]: 8,
};

function linkRequester(link: InProcessBrokerLink): KafkaRequester {
  return {
    async request<Req, Res>(codec: ApiCodec<Req, Res>, body: Req): Promise<Res> {
      const version = LINK_VERSIONS[codec.apiKey];
      if (version === undefined) throw new Error(`the in-process link does not carry ${codec.name}`);
      const reply = await link.kafkaRequest(codec.apiKey, version, body);
      if (reply.kind === 'error') throw linkError(reply, codec.name);
      return reply.body as Res;
    },
  };
}

function linkError(reply: LinkFailure, what: string): KafkaError {
  return new KafkaError(reply.errorCode, `${what}: ${reply.message}`);
}

class EmbeddedPusher<T, D> extends EventBatchPusher<T, D> {
  constructor(name: string, private readonly link: InProcessBrokerLink, limits: { batchBytes: number; maxInFlight: number; maxBufferedBytes: number }, eos?: ExactlyOnceSetup) {
    super(name, limits, eos);
  }

  protected async sendBatch(batch: Buffer): Promise<bigint> {
    const reply = await this.link.append(this.name, batch);
    // Across threads the batch's memory was moved to the broker and comes back in the reply; on the broker's
    // thread it never left. Either way the log no longer references it.
    this.builder.recycle(reply.batch ?? batch);
    if (reply.kind === 'error') throw new BatchRejectedError(`${errorInfo(reply.errorCode).name}: ${reply.message}`, reply.errorCode);
    return reply.baseOffset;
  }
}

class EmbeddedIterator<T, D> extends TopicIterator<T, D> {
  // For misaligned typed arrays only (topics written before capture padded them, a batch after a transaction
  // marker): 128 KiB arenas come from malloc's reused memory, 1 MiB ones from fresh pages.
  private readonly decoder = new EventDecoder(128 * 1024);
  /** Aligned typed arrays are views of the read's memory: a read they view is not recycled (read-ownership.ts). */
  private readonly ownership = new ReadOwnership();
  private position = 0n;

  constructor(name: string, private readonly link: InProcessBrokerLink, private readonly options: { readMaxBytes: number; maxQueuedBytes: number; borrow: boolean }) {
    super(name, options.maxQueuedBytes, eventBytes, options.borrow);
    void this.run().catch((error: unknown) => this.fail(error as Error));
  }

  /** Skips aborted transactions' batches (exactly-once topics); idle on topics without aborts. */
  private readonly aborted = new AbortedFilter();

  private read(): Promise<ReadReply> {
    return this.link.read(this.name, this.position, this.options.readMaxBytes, { waitForData: this.present, signal: this.stop.signal, readCommitted: true });
  }

  private async run(): Promise<void> {
    let pending: Promise<ReadReply> | undefined = this.read();
    while (!this.stop.signal.aborted) {
      const reply: ReadReply = await pending;
      pending = undefined;
      if (reply.kind === 'cancelled' || this.stop.signal.aborted) return;
      if (reply.kind === 'error') {
        if (reply.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          throw new KafkaError(reply.errorCode, `topic "${this.name}" no longer holds offset ${this.position} (its beginning was deleted, or the topic was replaced?); a replay must read a captured topic from its first event`);
        }
        throw linkError(reply, `replaying topic "${this.name}" at offset ${this.position}`);
      }
      this.found();
      const records = reply.records;
      if (records && records.length > 0) {
        const from = this.position;
        // The next read's offset comes from the batch headers alone: ask for it before decoding this one.
        this.position = nextFetchOffset(records, from);
        if (!this.queue.isFull) pending = this.read();
        // Aligned typed arrays (capture aligned them) are views of the read's memory. A read no event refers
        // to goes back to the link at once; one that events view is the collector's (read-ownership.ts), or,
        // when the consumer borrows, goes back once it has moved past the read's last event.
        const ownership = this.ownership;
        ownership.reset();
        let events = 0;
        const onRecord = (offset: bigint, value: Buffer | null): void => {
          const event = this.decoder.decode<T, D>(value, { topic: this.name, partition: 0, offset }, true);
          ownership.note(event as Event<unknown, unknown>, records);
          events++;
          this.enqueue(event);
        };
        if (reply.aborted) this.aborted.add(reply.aborted);
        if (this.aborted.active) this.aborted.forEach(records, from, onRecord);
        else forEachRecord(records, from, onRecord);
        this.readDecoded(events, ownership.free, () => this.link.recycle?.(records));
        this.delivered();
        await this.waitForRoom();
      }
      pending ??= this.read();
    }
  }
}

export class EmbeddedTransport implements EventTransport {
  readonly kind = 'embedded';
  private readonly link: InProcessBrokerLink;

  constructor(private readonly options: EmbeddedTransportOptions) {
    this.link = resolveLink(options.link);
  }

  async pusher<T, D>(topic: string, options: PusherOptions = {}): Promise<EventPusher<T, D>> {
    if (options.exactlyOnce) return this.exactlyOncePusher<T, D>(topic, options);
    const reply = await this.link.prepareTopic(topic, options.replace === true);
    if (reply.kind === 'error') throw linkError(reply, `preparing topic "${topic}" for capture`);
    if (reply.kind === 'not-empty') {
      if (reply.partitions !== 1) {
        throw new Error(`topic "${topic}" has ${reply.partitions} partitions; a captured stream needs one (total order). Use a fresh name or { replace: true }`);
      }
      throw new TopicNotEmptyError(topic, reply.records);
    }
    return this.pusherOn<T, D>(topic, reply.maxBatchBytes);
  }

  private pusherOn<T, D>(topic: string, maxBatchBytes: number, eos?: ExactlyOnceSetup): EmbeddedPusher<T, D> {
    const maxInFlight = this.options.maxInFlight ?? 4;
    // A batch must fit max.message.bytes; the builder's capacity bounds the whole batch, header included.
    const batchBytes = Math.min(this.options.batchBytes ?? 1 << 20, maxBatchBytes);
    return new EmbeddedPusher<T, D>(
      topic,
      this.link,
      {
        batchBytes,
        maxInFlight,
        maxBufferedBytes: this.options.maxBufferedBytes ?? (maxInFlight + 2) * batchBytes,
      },
      eos,
    );
  }

  /** A transactional pusher (issue 12): its transaction requests go to the broker's handlers through the link. */
  private async exactlyOncePusher<T, D>(topic: string, options: PusherOptions): Promise<EventPusher<T, D>> {
    const requester = linkRequester(this.link);
    let maxBatchBytes = 1 << 20;
    const prepare = async (replace: boolean): Promise<{ records: bigint; partitions: number }> => {
      const reply = await this.link.prepareTopic(topic, replace, true);
      if (reply.kind === 'error') throw linkError(reply, `preparing topic "${topic}" for capture`);
      if (reply.kind === 'not-empty') return { records: reply.records, partitions: reply.partitions };
      maxBatchBytes = reply.maxBatchBytes;
      return { records: reply.records ?? 0n, partitions: 1 };
    };
    const eos = await setUpExactlyOnce(topic, options, requester, requester, { inspect: () => prepare(false), replace: async () => void (await prepare(true)) });
    const pusher = this.pusherOn<T, D>(topic, maxBatchBytes, eos);
    await commitStart(pusher);
    return pusher;
  }

  iterator<T, D>(topic: string, options: IteratorOptions = {}): EventIterator<T, D> {
    return new EmbeddedIterator<T, D>(topic, this.link, {
      readMaxBytes: this.options.readMaxBytes ?? 1 << 20,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 32 << 20,
      borrow: options.borrow === true,
    });
  }

  /** The link belongs to the broker (and a worker's port to every transport on it): nothing to release. */
  /** fromKafka's reader of ordinary topics (every partition), through the link's Kafka requests. */
  recordReader(options: RecordReaderOptions): RecordReader {
    return new FetchRecordReader(singleBrokerRecordIo(linkRequester(this.link)), options);
  }

  async close(): Promise<void> {}
}
