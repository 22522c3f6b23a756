/**
 * The kafkajs transport: capture and replay through kafkajs, for any Kafka-compatible cluster. One producer
 * per captured stream sending many events per request (acks=-1, no retries: a retry without idempotence could
 * reorder events); one consumer per replayed stream in a group of its own
 * (so it always starts from the beginning and never commits), paused while replay is behind.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Message, type Producer } from 'kafkajs';
import type { Event } from '../dataflow/event.js';
import type { EventIterator } from '../replay/event-iterator.js';
import { EventDecoder, encodeEvent } from './event-codec.js';
import { DeliveryError, TopicNotEmptyError, type EventPusher } from './event-pusher.js';
import { Signal } from './signal.js';
import type { EventTransport, PusherOptions } from './transport.js';

export interface KafkaJsTransportOptions {
  brokers: readonly string[];
  clientId?: string;
  /** Bytes of events per send (default 512 KiB: with record overhead a send stays under the usual 1 MB message.max.bytes). */
  batchBytes?: number;
  /**
   * Sends in flight per pusher (default 1). kafkajs does not keep concurrent `send()` calls in order (each
   * refreshes metadata before it reaches the connection), which reorders events — the pusher detects that
   * from the returned offsets and fails. With 1, each send still carries `batchBytes` of events.
   */
  maxInFlight?: number;
  acks?: -1 | 1;
  /** Bytes a consumer buffers ahead of replay before it waits (default 32 MiB). */
  maxQueuedBytes?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class KafkaJsPusher<T, D> implements EventPusher<T, D> {
  private current: Message[] = [];
  private currentBytes = 0;
  private readonly queue: { messages: Message[]; first: number; bytes: number }[] = [];
  private inFlight = 0;
  private pushed = 0;
  private acked = 0;
  private ackedBytes = 0;
  private buffered = 0;
  private failure: DeliveryError | undefined;
  private scheduled = false;
  private flushing = false;
  private readonly progress = new Signal();

  constructor(readonly name: string, private readonly producer: Producer, private readonly options: Required<Pick<KafkaJsTransportOptions, 'batchBytes' | 'maxInFlight' | 'acks'>>) {}

  get bytesAcknowledged(): number {
    return this.ackedBytes;
  }

  push(event: Event<T, D>): void | Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const value = encodeEvent(event);
    this.current.push({ value });
    this.currentBytes += value.length;
    this.buffered += value.length;
    this.pushed++;
    if (this.currentBytes >= this.options.batchBytes) {
      this.seal();
      this.pump();
    }
    this.schedule();
    const limit = (this.options.maxInFlight + 2) * this.options.batchBytes;
    if (this.buffered > limit) return this.until(() => this.buffered <= limit - this.options.batchBytes);
    return undefined;
  }

  private seal(): void {
    if (this.current.length === 0) return;
    this.queue.push({ messages: this.current, first: this.pushed - this.current.length, bytes: this.currentBytes });
    this.current = [];
    this.currentBytes = 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.failure && this.inFlight < this.options.maxInFlight) {
      if (this.queue.length === 0) {
        if (this.current.length > 0 && (this.inFlight === 0 || this.flushing)) this.seal();
        else break;
      }
      const item = this.queue.shift() as { messages: Message[]; first: number; bytes: number };
      this.inFlight++;
      this.producer.send({ topic: this.name, messages: item.messages, acks: this.options.acks }).then(
        (results) => {
          this.inFlight--;
          const base = results[0]?.baseOffset;
          if (base !== undefined && base !== String(item.first)) {
            this.fail(item.first, `the broker stored the batch at offset ${base}, not ${item.first}: another producer writes to this topic`);
            return;
          }
          this.acked += item.messages.length;
          this.ackedBytes += item.bytes;
          this.buffered -= item.bytes;
          this.progress.fire();
          this.pump();
        },
        (error: Error & { type?: string }) => {
          this.inFlight--;
          this.fail(item.first, `${error.name}${error.type ? ` ${error.type}` : ''}: ${error.message}`, error);
        },
      );
    }
  }

  private fail(offset: number, reason: string, cause?: unknown): void {
    if (this.failure) return;
    this.failure = new DeliveryError(this.name, offset, reason, undefined, { cause });
    this.progress.fire();
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      if (this.failure) throw this.failure;
      await this.progress.wait();
    }
    if (this.failure) throw this.failure;
  }

  async flush(): Promise<void> {
    this.flushing = true;
    try {
      this.pump();
      await this.until(() => this.acked === this.pushed);
    } finally {
      this.flushing = false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.producer.disconnect().catch(() => {});
    }
  }
}

class KafkaJsIterator<T, D> implements EventIterator<T, D> {
  private readonly queue: Event<T, D>[] = [];
  private head = 0;
  private queuedBytes = 0;
  private failure: Error | undefined;
  private exists = false;
  private stopped = false;
  private consumer: Consumer | undefined;
  private readonly ready = new Signal();
  private readonly drained = new Signal();
  private readonly decoder = new EventDecoder();

  constructor(readonly name: string, private readonly transport: KafkaJsTransport, private readonly maxQueued: number) {
    this.start().catch((error: Error) => {
      this.failure ??= error;
      this.ready.fire();
    });
  }

  get present(): boolean {
    return this.exists;
  }

  get ended(): boolean {
    return false;
  }

  private async start(): Promise<void> {
    const admin = await this.transport.admin();
    let backoff = 50;
    while (!this.stopped && !(await admin.listTopics()).includes(this.name)) {
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 1000);
    }
    if (this.stopped) return;
    const consumer = this.transport.kafka.consumer({
      groupId: `kafkaesque-replay-${this.name}-${randomUUID()}`,
      maxBytesPerPartition: 8 << 20,
      maxBytes: 16 << 20,
      maxWaitTimeInMs: 500,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.name], fromBeginning: true });
    this.exists = true;
    this.ready.fire();
    consumer.on(consumer.events.CRASH, (event) => {
      const error = (event.payload as { error?: Error }).error;
      if (!this.stopped && error) {
        this.failure ??= new Error(`kafkajs consumer of topic "${this.name}" crashed: ${error.message}`, { cause: error });
        this.ready.fire();
      }
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        try {
          for (const message of batch.messages) {
            const event = this.decoder.decode<T, D>(message.value, { topic: this.name, partition: batch.partition, offset: BigInt(message.offset) });
            if (event.kind === 'messages') this.queuedBytes += byteSize(event.data);
            this.queue.push(event);
          }
        } catch (error) {
          this.failure ??= error as Error;
          this.stopped = true;
        }
        this.ready.fire();
        while (this.queuedBytes >= this.maxQueued && !this.stopped) {
          await Promise.race([this.drained.wait(), sleep(1000)]);
          await heartbeat();
        }
      },
    });
  }

  next(): Event<T, D> | undefined {
    if (this.head < this.queue.length) {
      const event = this.queue[this.head] as Event<T, D>;
      this.queue[this.head++] = undefined as never;
      if (event.kind === 'messages') this.queuedBytes -= byteSize(event.data);
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head > 4096) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (this.queuedBytes < this.maxQueued / 2) this.drained.fire();
      return event;
    }
    if (this.failure) throw this.failure;
    return undefined;
  }

  whenReady(): Promise<void> {
    if (this.head < this.queue.length || this.failure) return Promise.resolve();
    return this.ready.wait();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.drained.fire();
    await this.consumer?.disconnect().catch(() => {});
  }
}

function byteSize(data: ArrayLike<unknown>): number {
  return ArrayBuffer.isView(data) ? data.byteLength : data.length * 8;
}

export class KafkaJsTransport implements EventTransport {
  readonly kind = 'kafkajs';
  readonly kafka: Kafka;
  private adminClient: Promise<Admin> | undefined;

  constructor(private readonly options: KafkaJsTransportOptions) {
    this.kafka = new Kafka({ clientId: options.clientId ?? 'kafkaesque', brokers: [...options.brokers], logLevel: logLevel.NOTHING });
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
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: this.options.maxInFlight ?? 1, retry: { retries: 0 } });
    await producer.connect();
    return new KafkaJsPusher<T, D>(topic, producer, {
      batchBytes: this.options.batchBytes ?? 512 << 10,
      maxInFlight: this.options.maxInFlight ?? 1,
      acks: this.options.acks ?? -1,
    });
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
