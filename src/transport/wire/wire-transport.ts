/**
 * The wire transport: capture and replay over TCP with our own Kafka client (src/client), against the
 * embedded broker or any Kafka cluster. Capture builds RecordBatch v2 buffers straight from the encoded
 * events (native CRC32C, one copy of the data) and keeps several Produce requests in flight (acks=-1);
 * replay long-polls Fetch and issues the next fetch before decoding the current response.
 * There are no produce retries: without idempotence a retry could duplicate or reorder events, so a failed
 * request fails the capture with the topic and offset (reference §4, "duplicates or reordering").
 */
import { ErrorCode, KafkaError, errorInfo } from '../../protocol/errors.js';
import { Fetch, type FetchResponse } from '../../protocol/messages/fetch.js';
import { Produce } from '../../protocol/messages/produce.js';
import { KafkaClient, type ClientOptions } from '../../client/client.js';
import type { BrokerConnection } from '../../client/connection.js';
import { forEachRecord, nextFetchOffset } from '../event-batch.js';
import { EventBatchPusher } from '../event-batch-pusher.js';
import type { EventIterator, IteratorOptions } from '../event-iterator.js';
import { TopicIterator } from '../topic-iterator.js';
import type { Event } from '../../dataflow/event.js';
import { EventDecoder } from '../event-codec.js';
import { ReadOwnership } from '../read-ownership.js';
import { alignRecords } from '../aligned-records.js';
import { BatchRejectedError } from '../batching-pusher.js';
import { TopicNotEmptyError, captureGroupId, captureTransactionalId, type EventPusher } from '../event-pusher.js';
import type { KafkaRequester } from '../../client/transactions.js';
import type { ExactlyOnceSetup } from '../event-batch-pusher.js';
import { commitStart, setUpExactlyOnce } from '../exactly-once-setup.js';
import { eventBytes } from '../event-queue.js';
import { AbortedFilter } from '../committed-records.js';
import type { EventTransport, PusherOptions } from '../transport.js';
import { FetchRecordReader, wireRecordIo } from '../fetch-record-reader.js';
import type { RecordReader, RecordReaderOptions } from '../record-reader.js';

export interface WireTransportOptions extends Partial<ClientOptions> {
  brokers: readonly string[];
  /** Bytes per record batch / produce request (default 1 MiB). */
  batchBytes?: number;
  /** Produce requests in flight per pusher (default 5). */
  maxInFlight?: number;
  /** -1 (all in-sync replicas, default) or 1 (leader). */
  acks?: -1 | 1;
  /** Bytes buffered (in flight or waiting) in a pusher before push() asks the caller to wait (default (maxInFlight + 2) × batchBytes). */
  maxBufferedBytes?: number;
  /** Max bytes per fetch response (default 8 MiB). */
  /**
   * fromKafka's reader: max bytes per partition in a fetch (default 1 MiB, Kafka's max.partition.fetch.bytes;
   * the broker still returns a first batch larger than this whole).
   */
  partitionFetchMaxBytes?: number;
  fetchMaxBytes?: number;
  /** Long-poll wait of a fetch (default 500 ms). */
  fetchMaxWaitMs?: number;
  /** Decoded bytes an iterator buffers ahead of replay (default 32 MiB). */
  maxQueuedBytes?: number;
  /** How long an iterator keeps reconnecting to an unreachable broker before failing (default 60,000 ms). */
  reconnectTimeoutMs?: number;
  /** Verify the CRC32C of fetched batches (default false, as librdkafka's check.crcs). */
  checkCrcs?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class WirePusher<T, D> extends EventBatchPusher<T, D> {
  private readonly version: number;
  private readonly transactionalId: string | null;

  constructor(
    name: string,
    private readonly connection: BrokerConnection,
    private readonly options: Required<Pick<WireTransportOptions, 'batchBytes' | 'maxInFlight' | 'acks' | 'maxBufferedBytes'>>,
    eos?: ExactlyOnceSetup,
    private readonly onRelease?: () => Promise<void>,
  ) {
    super(name, options, eos);
    this.transactionalId = eos ? eos.session.transactionalId : null;
    this.version = connection.version(Produce as never);
    connection.onClose((error) => this.failUndelivered(error.message, undefined, error));
  }

  protected override release(): Promise<void> {
    return this.onRelease ? this.onRelease() : Promise.resolve();
  }

  protected async sendBatch(batch: Buffer): Promise<bigint> {
    const response = await this.connection.send(Produce, this.version, {
      transactionalId: this.transactionalId,
      acks: this.options.acks,
      timeoutMs: 30_000,
      topicData: [{ name: this.name, partitionData: [{ index: 0, records: batch }] }],
    });
    const p = response.responses[0]?.partitionResponses[0];
    if (!p) throw new BatchRejectedError('the broker answered without a partition result');
    if (p.errorCode !== ErrorCode.NONE) {
      const info = errorInfo(p.errorCode);
      throw new BatchRejectedError(`${info.name}: ${p.errorMessage ?? info.message}`, p.errorCode);
    }
    this.builder.recycle(batch);
    return p.baseOffset;
  }
}

class WireIterator<T, D> extends TopicIterator<T, D> {
  private readonly decoder = new EventDecoder();
  /**
   * Typed arrays that happen to lie aligned in the response frame (where the records land in it depends on
   * the response's layout, e.g. the topic name's length) are views of it, and such a frame is left to the
   * collector instead of going back to the connection's pool (read-ownership.ts). Misaligned ones are copied.
   */
  private readonly ownership = new ReadOwnership();
  /** Skips aborted transactions' batches (exactly-once topics); idle on topics without aborts. */
  private readonly aborted = new AbortedFilter();
  private position = 0n;

  constructor(name: string, private readonly client: KafkaClient, private readonly options: WireTransportOptions, borrow = false) {
    super(name, options.maxQueuedBytes ?? 32 << 20, eventBytes, borrow);
    void this.run();
  }

  private fetch(connection: BrokerConnection, offset: bigint): Promise<FetchResponse> {
    const maxBytes = this.options.fetchMaxBytes ?? 8 << 20;
    const request = connection.request(Fetch, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: this.options.fetchMaxWaitMs ?? 500,
      minBytes: 1,
      maxBytes,
      isolationLevel: 1, // read_committed: aborted tails of exactly-once captures stay invisible
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.name,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: maxBytes, replicaDirectoryId: '00000000-0000-0000-0000-000000000000' },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    // Awaited by the fetch loop, unless it stopped first; then a failure is of no interest.
    request.catch(() => {});
    return request;
  }

  private async run(): Promise<void> {
    let backoff = 50;
    let unreachableSince: number | undefined;
    while (!this.stopped) {
      try {
        const connection = await this.client.leaderFor(this.name);
        if (!connection) {
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 1000);
          continue;
        }
        unreachableSince = undefined;
        let pending: Promise<FetchResponse> | undefined = this.fetch(connection, this.position);
        while (!this.stopped) {
          const response: FetchResponse = await pending;
          pending = undefined;
          const p = response.responses[0]?.partitions[0];
          const code = p ? p.errorCode : response.errorCode;
          if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !this.present) {
            await sleep(backoff);
            backoff = Math.min(backoff * 2, 1000);
            break;
          }
          if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
            throw new KafkaError(code, `topic "${this.name}" no longer holds offset ${this.position} (its beginning was deleted?); a replay must read a captured topic from its first event`);
          }
          if (code !== ErrorCode.NONE || !p) {
            if (errorInfo(code).retriable) break; // refresh the leader and retry
            throw new KafkaError(code, `fetching topic "${this.name}" at offset ${this.position}`);
          }
          this.found();
          backoff = 50;
          // Aligned in the frame, capture's typed arrays are replayed as views of it, not copied.
          const records = p.records && p.records.length > 0 ? alignRecords(p.records) : p.records;
          if (records && records.length > 0) {
            const from = this.position;
            // The next fetch's offset comes from the batch headers alone: send it before decoding this one.
            this.position = nextFetchOffset(records, from);
            if (!this.queue.isFull) {
              pending = this.fetch(connection, this.position);
            }
            const ownership = this.ownership;
            ownership.reset();
            let events = 0;
            const onRecord = (offset: bigint, value: Buffer | null): void => {
              const event = this.decoder.decode<T, D>(value, { topic: this.name, partition: 0, offset }, true);
              ownership.note(event as Event<unknown, unknown>, records);
              events++;
              this.enqueue(event);
            };
            if (p.abortedTransactions && p.abortedTransactions.length > 0) this.aborted.add(p.abortedTransactions);
            if (this.aborted.active) this.aborted.forEach(records, from, onRecord, this.options.checkCrcs ?? false);
            else forEachRecord(records, from, onRecord, this.options.checkCrcs ?? false);
            // A frame no event refers to takes the next response at once; a viewed one once a borrowing
            // consumer has moved past its events.
            this.readDecoded(events, ownership.free, () => connection.releaseFrame(records));
            this.delivered();
            await this.waitForRoom();
          }
          pending ??= this.fetch(connection, this.position);
        }
      } catch (error) {
        if (this.stopped) return;
        const retriable = (error as Error).name === 'BrokerConnectionError' || (error as Error).name === 'RequestTimeoutError';
        if (!retriable) {
          this.fail(error as Error);
          return;
        }
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > (this.options.reconnectTimeoutMs ?? 60_000)) {
          this.fail(new Error(`replay of topic "${this.name}" gave up: ${(error as Error).message}`, { cause: error }));
          return;
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }
}


export class WireTransport implements EventTransport {
  readonly kind = 'wire';
  readonly client: KafkaClient;

  constructor(private readonly options: WireTransportOptions) {
    this.client = new KafkaClient({ clientId: 'kafkaesque', ...options });
  }

  async pusher<T, D>(topic: string, options: PusherOptions = {}): Promise<EventPusher<T, D>> {
    if (options.exactlyOnce) return this.exactlyOncePusher<T, D>(topic, options);
    const existing = await this.client.topic(topic);
    if (existing) {
      const { earliest, latest } = await this.client.offsets(topic);
      if (latest > 0n || existing.partitions !== 1) {
        if (!options.replace) {
          if (existing.partitions !== 1) {
            throw new Error(`topic "${topic}" has ${existing.partitions} partitions; a captured stream needs one (total order). Use a fresh name or { replace: true }`);
          }
          throw new TopicNotEmptyError(topic, latest - earliest);
        }
        await this.client.deleteTopic(topic);
        await this.client.createTopic(topic, 1);
      }
    } else {
      await this.client.createTopic(topic, 1);
    }
    return this.pusherOn<T, D>(topic);
  }

  private async pusherOn<T, D>(topic: string, eos?: ExactlyOnceSetup, client = this.client): Promise<WirePusher<T, D>> {
    const connection = await client.leaderFor(topic);
    if (!connection) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `topic "${topic}" has no leader after creation`);
    return new WirePusher<T, D>(
      topic,
      connection,
      {
        batchBytes: this.options.batchBytes ?? 1 << 20,
        maxInFlight: this.options.maxInFlight ?? 5,
        acks: this.options.acks ?? -1,
        maxBufferedBytes: this.options.maxBufferedBytes ?? ((this.options.maxInFlight ?? 5) + 2) * (this.options.batchBytes ?? 1 << 20),
      },
      eos,
      client === this.client ? undefined : () => client.close(),
    );
  }

  /** A transactional pusher (issue 12): requests go to the transaction and group coordinators, batches to the leader. */
  private async exactlyOncePusher<T, D>(topic: string, options: PusherOptions): Promise<EventPusher<T, D>> {
    // Connections of its own: a commit's requests must not queue behind a replay's parked Fetch on a shared one.
    const client = new KafkaClient({ clientId: 'kafkaesque', ...this.options });
    try {
      return await this.exactlyOnceOn<T, D>(client, topic, options);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  private async exactlyOnceOn<T, D>(client: KafkaClient, topic: string, options: PusherOptions): Promise<EventPusher<T, D>> {
    const viaCoordinator = (key: string, type: 0 | 1): KafkaRequester => ({
      request: async (codec, body) => (await client.coordinator(key, type)).request(codec, body),
    });
    const eos = await setUpExactlyOnce(topic, options, viaCoordinator(captureTransactionalId(topic), 1), viaCoordinator(captureGroupId(topic), 0), {
      inspect: async () => {
        const existing = await client.topic(topic);
        if (!existing) {
          await client.createTopic(topic, 1);
          return { records: 0n, partitions: 1 };
        }
        return { records: (await client.offsets(topic)).latest, partitions: existing.partitions };
      },
      replace: async () => {
        await client.deleteTopic(topic);
        await client.createTopic(topic, 1);
      },
    });
    const pusher = await this.pusherOn<T, D>(topic, eos, client);
    await commitStart(pusher);
    return pusher;
  }

  /** fromKafka's reader of ordinary topics (fetch-record-reader.ts), with this transport's fetch limits. */
  recordReader(options: RecordReaderOptions): RecordReader {
    const { fetchMaxBytes, fetchMaxWaitMs, partitionFetchMaxBytes } = this.options;
    return new FetchRecordReader(wireRecordIo(this.client), options, {
      ...(fetchMaxBytes !== undefined ? { fetchMaxBytes } : {}),
      ...(fetchMaxWaitMs !== undefined ? { fetchMaxWaitMs } : {}),
      ...(partitionFetchMaxBytes !== undefined ? { partitionMaxBytes: partitionFetchMaxBytes } : {}),
    });
  }

  iterator<T, D>(topic: string, options: IteratorOptions = {}): EventIterator<T, D> {
    return new WireIterator<T, D>(topic, this.client, this.options, options.borrow === true);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
