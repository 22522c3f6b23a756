/**
 * The kafkajs transport: capture and replay through kafkajs, for any Kafka-compatible cluster. One producer
 * per captured stream sending many events per request (acks=-1, no retries: a retry without idempotence could
 * reorder events); one consumer per replayed stream in a group of its own
 * (so it always starts from the beginning and never commits), paused while replay is behind.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Message, type Producer, type Transaction } from 'kafkajs';
import type { Event } from '../../dataflow/event.js';
import type { EventIterator } from '../event-iterator.js';
import { TopicIterator } from '../topic-iterator.js';
import { EventDecoder, encodeEvent } from '../event-codec.js';
import { BatchingPusher, type SendFailure } from '../batching-pusher.js';
import { CaptureFencedError, TopicNotEmptyError, captureGroupId, captureTransactionalId, encodePosition, type CapturePosition, type EventPusher, type ExactlyOncePusher } from '../event-pusher.js';
import { isFencedCode } from '../../client/transactions.js';
import { CommitCadence } from '../commit-cadence.js';
import { DEFAULT_COMMIT_BYTES, DEFAULT_COMMIT_INTERVAL_MS } from '../event-batch-pusher.js';
import { commitStart, startingPoint } from '../exactly-once-setup.js';
import type { Logger } from 'pino';
import { errorCodeOf } from '../../protocol/errors.js';
import { createLogger } from '../../broker/logger.js';
import { applyKafkaJsPatches, currentKafkaJsPatches, type KafkaJsPatches } from './kafkajs-patches.js';
import { ProduceOrder } from './kafkajs-produce-order.js';
import type { EventTransport, PusherOptions } from '../transport.js';
import type { ClientSecurity } from '../../client/security.js';
import { kafkaJsSecurity } from './kafkajs-security.js';
import { kafkaJsFetchSettings, type KafkaJsFetchOptions } from './kafkajs-fetch-settings.js';

/**
 * `ssl` and `sasl` (ClientSecurity, as the wire transport takes them) are handed to kafkajs's own TLS and SASL;
 * the fetch settings (KafkaJsFetchOptions) to every replay consumer.
 */
export interface KafkaJsTransportOptions extends ClientSecurity, KafkaJsFetchOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Bytes of events per send (default 512 KiB: with record overhead a send stays under the usual 1 MB message.max.bytes). */
  batchBytes?: number;
  /**
   * Sends in flight per pusher (default 1). kafkajs alone does not keep concurrent `send()` calls in order:
   * before a request reaches the leader's connection it passes kafkajs's target-topics lock and, on the first
   * sends, the connection set-up, and concurrent calls overtake each other there (measured: with 3 in flight
   * the 2nd and 3rd batches swapped). So with more than 1 the producer gets a socket factory of its own and each
   * send starts only once the previous Produce request is on the wire (kafkajs-produce-order.ts). `idempotent`
   * would not help: kafkajs then holds a per-broker lock until each Produce response, i.e. one in flight.
   * The default stays 1: paired runs of the 5-stream roundtrip on 2 cores showed no gain from 3 (the streams
   * already overlap each other), and each send carries `batchBytes` of events anyway.
   */
  maxInFlight?: number;
  acks?: -1 | 1;
  /** Bytes a consumer buffers ahead of replay before it waits (default 32 MiB). */
  maxQueuedBytes?: number;
  /**
   * Install the kafkajs speed-ups (native CRC32C, Encoder growth without zero-fill; see kafkajs-patches.ts) when
   * this transport is created (default true). They change no byte kafkajs sends, and each is installed only if
   * its guard recognises the kafkajs version. With false this transport installs nothing; it still reports
   * what an earlier transport installed into the same kafkajs.
   */
  patchKafkaJs?: boolean;
  /** Where the transport logs (one debug line saying which kafkajs patches are installed). Default: stderr at info. */
  logger?: Logger;
}

const DEFAULT_MAX_IN_FLIGHT = 1;

/** Shared by the transports created without a logger. */
let defaultLogger: Logger | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One send's worth of events, as kafkajs messages. */
type MessageBatch = Message[];

class KafkaJsPusher<T, D> extends BatchingPusher<T, D, MessageBatch> {
  private current: Message[] = [];

  constructor(
    name: string,
    protected readonly producer: Producer,
    /** Keeps concurrent sends in order on the wire; only needed (and given) with more than one in flight. */
    private readonly order: ProduceOrder | undefined,
    private readonly options: Required<Pick<KafkaJsTransportOptions, 'batchBytes' | 'maxInFlight' | 'acks'>>,
  ) {
    super(name, { batchBytes: options.batchBytes, maxInFlight: options.maxInFlight, maxBufferedBytes: (options.maxInFlight + 2) * options.batchBytes });
  }

  protected append(event: Event<T, D>): number {
    const value = encodeEvent(event);
    this.current.push({ value });
    return value.length;
  }

  protected seal(): MessageBatch {
    const batch = this.current;
    this.current = [];
    return batch;
  }

  protected async send(messages: MessageBatch): Promise<string> {
    const send = () => this.producer.send({ topic: this.name, messages, acks: this.options.acks });
    const results = await (this.order ? this.order.run(send) : send());
    const base = results[0]?.baseOffset;
    if (base === undefined) throw new Error('the broker did not say where it stored the batch');
    return base;
  }

  protected override describeFailure(error: unknown): SendFailure {
    const e = error as Error & { type?: string };
    return { reason: `${e.name}${e.type ? ` ${e.type}` : ''}: ${e.message}`, code: errorCodeOf(error, undefined) };
  }

  protected override release(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * Exactly-once through kafkajs's own transactions (issue 12): the producer has the stream's transactional id
 * (connecting it fences an older capture), batches go through `transaction.send`, and a commit sends the
 * capture's position with `transaction.sendOffsets` (TxnOffsetCommit) before `transaction.commit`.
 */
class KafkaJsExactlyOncePusher<T, D> extends KafkaJsPusher<T, D> implements ExactlyOncePusher<T, D> {
  readonly exactlyOnce = true as const;
  private started: Promise<Transaction> | undefined;
  private readonly cadence: CommitCadence;
  private lastBase: bigint | undefined;

  constructor(
    name: string,
    producer: Producer,
    options: Required<Pick<KafkaJsTransportOptions, 'batchBytes' | 'maxInFlight' | 'acks'>>,
    readonly committed: CapturePosition<T> | undefined,
    cadence: { commitBytes: number; commitIntervalMs: number },
  ) {
    super(name, producer, undefined, options);
    this.cadence = new CommitCadence(cadence.commitBytes, cadence.commitIntervalMs);
  }

  get onCommitDue(): (() => void) | undefined {
    return this.cadence.onDue;
  }
  set onCommitDue(callback: (() => void) | undefined) {
    this.cadence.onDue = callback;
  }

  get commitDue(): boolean {
    return this.cadence.due();
  }

  protected override append(event: Event<T, D>): number {
    const size = super.append(event);
    this.cadence.add(size);
    return size;
  }

  private transaction(): Promise<Transaction> {
    return (this.started ??= this.producer.transaction());
  }

  protected override async send(messages: MessageBatch): Promise<string> {
    const results = await (await this.transaction()).send({ topic: this.name, messages, acks: -1 });
    const base = results[0]?.baseOffset;
    if (base === undefined) throw new Error('the broker did not say where it stored the batch');
    return base;
  }

  commit(position: CapturePosition<T>): Promise<void> {
    this.cadence.reset();
    return this.commitPoint(async () => {
      const txn = await this.transaction();
      await txn.sendOffsets({
        consumerGroupId: captureGroupId(this.name),
        topics: [{ topic: this.name, partitions: [{ partition: 0, offset: String(position.events), metadata: encodePosition(position) } as { partition: number; offset: string }] }],
      });
      await txn.commit();
      this.started = undefined;
    });
  }

  async abort(): Promise<void> {
    this.cadence.stop();
    this.stopSending('the capture was aborted');
    try {
      if (this.started) await (await this.started).abort();
    } catch {
      // already failing: the broker aborts the transaction on timeout or when the stream is captured again
    } finally {
      await this.release().catch(() => {});
    }
  }

  override async close(): Promise<void> {
    this.cadence.stop();
    await super.close();
  }

  /** Markers sit between transactions: any later offset is right. */
  protected override acceptsOffset(base: bigint | number | string): boolean {
    const at = BigInt(base);
    const ok = this.lastBase === undefined || at > this.lastBase;
    this.lastBase = at;
    return ok;
  }

  protected override failureFor(offset: number, reason: string, code: number | undefined, cause: unknown): Error {
    const type = (cause as { type?: string } | undefined)?.type;
    if ((code !== undefined && isFencedCode(code)) || type === 'PRODUCER_FENCED' || type === 'INVALID_PRODUCER_EPOCH') return new CaptureFencedError(this.name, code, { cause });
    return super.failureFor(offset, reason, code, cause);
  }
}

/** A fetched record not decoded yet: its value and offset. */
interface FetchedRecord {
  value: Buffer | null;
  offset: string;
}

/**
 * Replays a topic through a kafkajs consumer. `eachBatch` only queues the fetched records and returns, so
 * kafkajs sends the next Fetch at once and the broker reads and sends it while replay decodes this one (events
 * are decoded in `next`, one at a time); kafkajs itself fetches only after `eachBatch` resolved.
 */
class KafkaJsIterator<T, D> extends TopicIterator<T, D, FetchedRecord> {
  private consumer: Consumer | undefined;
  private readonly decoder = new EventDecoder();

  constructor(name: string, private readonly transport: KafkaJsTransport, maxQueued: number) {
    super(name, maxQueued, (record) => record.value?.length ?? 0);
    this.start().catch((error: Error) => this.fail(error));
  }

  private async start(): Promise<void> {
    const consumer = this.transport.kafka.consumer({
      groupId: `kafkaesque-replay-${this.name}-${randomUUID()}`,
      ...this.transport.fetchSettings,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    // The consumer connects while the admin client looks for the topic: replay's first fetch comes sooner.
    const connected = consumer.connect();
    connected.catch(() => {}); // awaited below, unless replay stopped first
    const admin = await this.transport.admin();
    let backoff = 50;
    while (!this.stopped && !(await admin.listTopics()).includes(this.name)) {
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 1000);
    }
    if (this.stopped) return;
    await connected;
    await consumer.subscribe({ topics: [this.name], fromBeginning: true });
    this.found();
    consumer.on(consumer.events.CRASH, (event) => {
      const error = (event.payload as { error?: Error }).error;
      if (!this.stopped && error) this.fail(new Error(`kafkajs consumer of topic "${this.name}" crashed: ${error.message}`, { cause: error }));
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        if (this.stopped) return;
        for (const message of batch.messages) this.enqueue(message);
        this.delivered();
        // Heartbeats go on while replay catches up, so the group does not drop this consumer.
        while (this.queue.isFull && !this.stopped) {
          await Promise.race([this.queue.drained.wait(), sleep(1000)]);
          await heartbeat();
        }
      },
    });
  }

  /**
   * Records are decoded here, one at a time, while kafkajs fetches the next batch. A typed array that lies
   * aligned in kafkajs's response buffer is a view of it (kafkajs allocates every response afresh and never
   * reuses it, so the collector alone keeps it alive); a misaligned one is copied.
   */
  protected override decode(record: FetchedRecord): Event<T, D> {
    return this.decoder.decode<T, D>(record.value, { topic: this.name, partition: 0, offset: BigInt(record.offset) }, true);
  }

  protected override async release(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
  }
}

export class KafkaJsTransport implements EventTransport {
  readonly kind = 'kafkajs';
  readonly kafka: Kafka;
  /** Which kafkajs patches are installed in the kafkajs this transport uses. */
  readonly kafkaJsPatches: KafkaJsPatches;
  /** What each replay consumer fetches (checked: a `minBytes` no fetch can reach throws KafkaJsSettingsError). */
  readonly fetchSettings: Required<KafkaJsFetchOptions>;
  private adminClient: Promise<Admin> | undefined;

  constructor(private readonly options: KafkaJsTransportOptions) {
    this.fetchSettings = kafkaJsFetchSettings(options);
    // Before the first Produce: kafkajs loads its record batch encoder then (see kafkajs-native-crc.ts).
    const patches = options.patchKafkaJs === false ? currentKafkaJsPatches() : applyKafkaJsPatches();
    this.kafkaJsPatches = { nativeCrc32c: patches.nativeCrc32c, encoderGrowth: patches.encoderGrowth };
    const logger = options.logger ?? (defaultLogger ??= createLogger('info'));
    logger.debug({ requested: options.patchKafkaJs !== false, ...patches }, 'kafkajs patches');
    this.kafka = this.client();
  }

  private client(extra: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ clientId: this.options.clientId ?? 'kafkaesque', brokers: [...this.options.brokers], logLevel: logLevel.NOTHING, ...kafkaJsSecurity(this.options), ...extra });
  }

  admin(): Promise<Admin> {
    this.adminClient ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.adminClient;
  }

  async pusher<T, D>(topic: string, options: PusherOptions = {}): Promise<EventPusher<T, D>> {
    if (options.exactlyOnce) return this.exactlyOncePusher<T, D>(topic, options);
    const admin = await this.admin();
    if ((await admin.listTopics()).includes(topic)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const latest = offsets.reduce((sum, p) => sum + BigInt(p.high), 0n);
      const earliest = offsets.reduce((sum, p) => sum + BigInt(p.low), 0n);
      if (latest > 0n || offsets.length !== 1) {
        if (!options.replace) throw new TopicNotEmptyError(topic, latest - earliest);
        await admin.deleteTopics({ topics: [topic] });
        for (let i = 0; i < 100 && (await admin.listTopics()).includes(topic); i++) await sleep(50);
      }
    }
    if (!(await admin.listTopics()).includes(topic)) {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
          break;
        } catch (error) {
          if (attempt > 50) throw error;
          await sleep(100); // a deletion may still be in progress
        }
      }
    }
    const maxInFlight = this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    // Several sends in flight need a Kafka instance of the producer's own, whose sockets keep them in order.
    const order = maxInFlight > 1 ? new ProduceOrder() : undefined;
    const kafka = order ? this.client({ socketFactory: order.socketFactory }) : this.kafka;
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: maxInFlight, retry: { retries: 0 } });
    await producer.connect();
    return new KafkaJsPusher<T, D>(topic, producer, order, {
      batchBytes: this.options.batchBytes ?? 512 << 10,
      maxInFlight,
      acks: this.options.acks ?? -1,
    });
  }

  private async createTopic(topic: string): Promise<void> {
    const admin = await this.admin();
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
        return;
      } catch (error) {
        if (attempt > 50) throw error;
        await sleep(100); // a deletion may still be in progress
      }
    }
  }

  /** A transactional kafkajs producer per stream; connecting it fences an older capture and aborts its open transaction. */
  private async exactlyOncePusher<T, D>(topic: string, options: PusherOptions): Promise<EventPusher<T, D>> {
    const admin = await this.admin();
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      transactionalId: captureTransactionalId(topic),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs ?? 60_000,
      retry: { retries: 5 }, // idempotent: a retried batch is deduplicated by its sequence number
    });
    await producer.connect();
    try {
      // kafkajs reads a group's offsets only for a topic that exists: a missing topic is created (fresh) first.
      const existed = (await admin.listTopics()).includes(topic);
      if (!existed) await this.createTopic(topic);
      const fetched = existed ? await admin.fetchOffsets({ groupId: captureGroupId(topic), topics: [topic] }) : [];
      const p = fetched[0]?.partitions.find((x) => x.partition === 0);
      const committed = await startingPoint(topic, options, BigInt(p?.offset ?? '-1'), p?.metadata ?? null, {
        inspect: async () => {
          const offsets = await admin.fetchTopicOffsets(topic);
          return { records: offsets.reduce((sum, o) => sum + BigInt(o.high), 0n), partitions: offsets.length };
        },
        replace: async () => {
          await admin.deleteTopics({ topics: [topic] });
          for (let i = 0; i < 100 && (await admin.listTopics()).includes(topic); i++) await sleep(50);
          await this.createTopic(topic);
        },
      });
      const pusher = new KafkaJsExactlyOncePusher<T, D>(
        topic,
        producer,
        { batchBytes: this.options.batchBytes ?? 512 << 10, maxInFlight: 1, acks: -1 },
        committed as CapturePosition<T> | undefined,
        { commitBytes: options.commitBytes ?? DEFAULT_COMMIT_BYTES, commitIntervalMs: options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS },
      );
      await commitStart(pusher);
      return pusher;
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw error;
    }
  }

  iterator<T, D>(topic: string): EventIterator<T, D> {
    return new KafkaJsIterator<T, D>(topic, this, this.options.maxQueuedBytes ?? 32 << 20);
  }

  async close(): Promise<void> {
    const admin = this.adminClient;
    this.adminClient = undefined;
    if (admin) await (await admin).disconnect().catch(() => {});
  }
}
