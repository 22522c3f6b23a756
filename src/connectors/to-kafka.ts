/**
 * `toKafka`: writes a stream's results to an ordinary topic, each time's results once the frontier has passed
 * that time (issue 15). At-least-once by default: a frontier advance's records are sent (acks=-1), then the
 * source's offsets that the advance completed are committed. With `exactlyOnce`, the records and the source's
 * offsets go into one Kafka transaction (timely-dataflow #102's recipe: output and input position commit
 * together), which groups frontier advances until `commitBytes` or `commitIntervalMs`; after a crash, a
 * restart with the same transactional id fences and aborts the dead run's open transaction and the source
 * resumes at the committed offsets, so read_committed readers see each result exactly once.
 *
 * Offsets are committed for the records whose times are before the sink's frontier F, and F goes with them
 * (as the offsets' commit metadata). A restart reads the records from there again and recomputes; the sink
 * then drops the results at times before F, which the dead run committed. That is exact when every result
 * lies at or before the times of the records it comes from (the per-time operators, and the windows here:
 * a window's result is at its start) and the computation is deterministic given each partition's records.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Message, Producer, Transaction } from 'kafkajs';
import type { Event } from '../dataflow/event.js';
import { KafkaJsTransport } from '../transport/kafkajs/kafkajs-transport.js';
import { CommitCadence } from '../transport/commit-cadence.js';
import type { TopicPartitionOffset } from '../transport/record-reader.js';

/**
 * What a sink commits positions for: a fromKafka source (KafkaSource), or a replay's positions
 * (replay-positions.ts). Offsets are committed for `groupId` on `topics`.
 */
export interface SinkSource {
  readonly groupId: string | undefined;
  readonly topics: readonly string[];
  /** Per partition, the offset before which everything is complete at `at` (times must not decrease). */
  completedOffsets(at?: number): TopicPartitionOffset[];
  /** The sink commits from now on (called when it is subscribed). */
  handOverCommits(): void;
  /** The sink made its last commit. */
  releaseCommits(): void;
  /** At-least-once: commits offsets after the sink's writes. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /**
   * Exactly-once: what an earlier run committed (read once the sink's producer fenced it, so it is final), and
   * the sink frontier it committed with them; the sink drops results before that frontier.
   */
  resumed?(committed: readonly TopicPartitionOffset[], frontier: number): void;
}

type Bytes = Buffer | string | null;

export interface ToKafkaOptions<D> {
  /** The cluster (kafkajs: any Kafka cluster, the embedded broker included). */
  transport: KafkaJsTransport;
  /** The record value (default: JSON of the result). */
  value?: (result: D, time: number) => Bytes;
  /** The record key (default: none). */
  key?: (result: D, time: number) => Bytes;
  /** Record headers (default: none). */
  headers?: (result: D, time: number) => Record<string, Buffer | string>;
  /** The partition (default: the producer's partitioner on the key). */
  partition?: (result: D, time: number) => number;
  /** The fromKafka source (or replay positions) whose offsets this sink commits after (or, exactly-once, with) its writes. */
  source?: SinkSource;
  /** Output and source offsets in one transaction (needs `source` with a `groupId`). Default false. */
  exactlyOnce?: boolean;
  /** Exactly-once: the producer's transactional id (default `kafkaesque-to-kafka-<topic>-<source group>`); a restart must use the same. */
  transactionalId?: string;
  /** Exactly-once: commit once a transaction holds this many value bytes (default 1 MiB, as Kafka's max.request.size). */
  commitBytes?: number;
  /** Exactly-once: commit at the latest this long after a transaction's first frontier advance (default 1,000 ms). */
  commitIntervalMs?: number;
  /** Exactly-once: transaction.timeout.ms, after which the broker aborts a dead run's transaction (default 60,000). */
  transactionTimeoutMs?: number;
}

const DEFAULT_COMMIT_BYTES = 1 << 20;
const DEFAULT_COMMIT_INTERVAL_MS = 1000;

/** The error a sink fails with; says what was being written. */
export class ToKafkaError extends Error {
  override readonly name = 'ToKafkaError';
}

/**
 * A pass-through operator: every input event goes on downstream once it is durable (a progress event after
 * the records of the times it completes are written — committed, with `exactlyOnce`), and the output
 * completes once everything is written.
 *
 * @example
 * ```ts
 * const source = fromKafka('lines', { transport, groupId: 'wordcount', maxOutOfOrderness: 5_000 });
 * source.stream.pipe(
 *   flatMapData((r) => r.value!.toString().split(/\s+/)),
 *   tumblingWindow(60_000, { key: (w) => w, aggregate: (n: number) => n + 1, seed: 0 }),
 *   toKafka('counts', { transport, source, exactlyOnce: true, key: (r) => r.key, value: (r) => String(r.value) }),
 * ).subscribe();
 * ```
 */
export function toKafka<D>(topic: string, options: ToKafkaOptions<D>): OperatorFunction<Event<number, D>, Event<number, D>> {
  const { transport, source, exactlyOnce = false } = options;
  if (exactlyOnce && (source === undefined || source.groupId === undefined)) {
    throw new RangeError('toKafka: exactlyOnce needs `source`, a fromKafka source with a groupId (its offsets commit with the output)');
  }
  const commitBytes = options.commitBytes ?? DEFAULT_COMMIT_BYTES;
  const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
  if (!(commitBytes > 0)) throw new RangeError(`commitBytes must be > 0, got ${commitBytes}`);
  if (!(commitIntervalMs > 0)) throw new RangeError(`commitIntervalMs must be > 0, got ${commitIntervalMs}`);
  const valueOf = options.value ?? ((d: D) => JSON.stringify(d));
  const transactionalId = options.transactionalId ?? `kafkaesque-to-kafka-${topic}-${source?.groupId ?? ''}`;

  const toMessage = (d: D, time: number): Message => {
    const message: Message = { value: valueOf(d, time) };
    if (options.key) message.key = options.key(d, time);
    if (options.headers) message.headers = options.headers(d, time);
    if (options.partition) message.partition = options.partition(d, time);
    return message;
  };
  const size = (m: Message): number => (m.value === null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length);

  return (input) =>
    new Observable<Event<number, D>>((out) => {
      source?.handOverCommits();
      const buffered = new Map<number, D[]>();
      let frontier = 0;
      /** Exactly-once restart: results before this time were committed by an earlier run. */
      let resumeFrontier = 0;
      let failed = false;
      let producer: Producer | undefined;
      let transaction: Transaction | undefined;
      let offsets: TopicPartitionOffset[] = [];
      let offsetsFrontier = 0;
      const cadence = new CommitCadence(commitBytes, commitIntervalMs);
      /** Exactly-once: progress events whose results are in the open transaction, passed on once it commits. */
      const held: Event<number, D>[] = [];
      // Every write and commit runs in order on this chain.
      let chain: Promise<void> = (async () => {
        producer = exactlyOnce
          ? transport.kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: options.transactionTimeoutMs ?? 60_000 })
          : transport.kafka.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        if (exactlyOnce) {
          const committed = await committedPosition(transport, source as SinkSource);
          resumeFrontier = committed.frontier;
          source?.resumed?.(committed.offsets, committed.frontier);
        }
      })();
      const run = (step: () => Promise<void>): void => {
        chain = chain.then(async () => {
          if (!failed) await step();
        });
        chain.catch((error: Error) => {
          if (failed) return;
          failed = true;
          out.error(new ToKafkaError(`toKafka: writing topic "${topic}" failed: ${error.message}`, { cause: error }));
        });
      };
      const commitTransaction = async (): Promise<void> => {
        if (!transaction) return;
        const t = transaction;
        transaction = undefined;
        cadence.reset();
        if (offsets.length > 0) {
          await t.sendOffsets({ consumerGroupId: source?.groupId as string, topics: byTopic(offsets, offsetsFrontier) });
        }
        await t.commit();
        // Only now are the results before these frontiers durable: pass the progress on.
        for (const event of held.splice(0)) out.next(event);
      };
      cadence.onDue = () => run(commitTransaction);

      /** The records of the times before `next`, as messages in time order (those an earlier run committed left out). */
      const takeBefore = (next: number): Message[] => {
        const batch: Message[] = [];
        for (const t of [...buffered.keys()].filter((t) => t < next).sort((a, b) => a - b)) {
          if (t >= resumeFrontier) for (const d of buffered.get(t) as D[]) batch.push(toMessage(d, t));
          buffered.delete(t);
        }
        return batch;
      };

      const subscription = input.subscribe({
        next(event) {
          if (event.kind === 'messages') {
            let bucket = buffered.get(event.time);
            if (bucket === undefined) buffered.set(event.time, (bucket = []));
            for (let i = 0; i < event.data.length; i++) bucket.push(event.data[i] as D);
            run(async () => void out.next(event));
            return;
          }
          let next = frontier;
          let emptied = false;
          for (const [t, d] of event.updates) if (d > 0) next = t;
          if (!event.updates.some(([, d]) => d > 0)) emptied = true;
          const limit = emptied ? Infinity : next;
          frontier = next;
          run(async () => {
            const messages = takeBefore(limit);
            const p = producer as Producer;
            if (exactlyOnce) {
              if (messages.length > 0 || source) {
                transaction ??= await p.transaction();
                if (messages.length > 0) await transaction.send({ topic, messages });
                offsetsFrontier = limit === Infinity ? Number.MAX_SAFE_INTEGER : limit;
                offsets = (source as SinkSource).completedOffsets(offsetsFrontier);
                cadence.add(messages.reduce((n, m) => n + size(m), 0));
                if (cadence.due()) await commitTransaction();
              }
            } else {
              if (messages.length > 0) await p.send({ topic, acks: -1, messages });
              if (source?.groupId !== undefined) await source.commit(source.completedOffsets(limit === Infinity ? Number.MAX_SAFE_INTEGER : limit));
            }
            if (exactlyOnce && transaction) held.push(event);
            else out.next(event);
          });
        },
        error(err) {
          run(async () => out.error(err));
        },
        complete() {
          run(async () => {
            if (exactlyOnce) await commitTransaction();
            source?.releaseCommits();
            out.complete();
          });
        },
      });
      return () => {
        subscription.unsubscribe();
        cadence.stop();
        void chain.catch(() => {}).then(async () => {
          source?.releaseCommits();
          // An open transaction is left to the broker (aborted by the next run or its timeout), as a crash would.
          await producer?.disconnect().catch(() => {});
        });
      };
    });
}

/** The commit metadata key under which the sink's frontier is stored with the source offsets. */
const FRONTIER_METADATA = 'kafkaesque.toKafka.frontier';

/** The offsets and sink frontier an earlier exactly-once run committed for the group (frontier 0 if none). */
async function committedPosition(transport: KafkaJsTransport, source: SinkSource): Promise<{ frontier: number; offsets: TopicPartitionOffset[] }> {
  const admin = await transport.admin();
  let frontier = 0;
  const offsets: TopicPartitionOffset[] = [];
  for (const topic of source.topics) {
    let committed: Awaited<ReturnType<typeof admin.fetchOffsets>>;
    try {
      committed = await admin.fetchOffsets({ groupId: source.groupId as string, topics: [topic] });
    } catch (error) {
      // A topic that does not exist yet (a replay's stream not created yet) has nothing committed.
      if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') continue;
      throw error;
    }
    for (const p of committed[0]?.partitions ?? []) {
      if (Number(p.offset) >= 0) offsets.push({ topic, partition: p.partition, offset: BigInt(p.offset) });
      if (!p.metadata) continue;
      try {
        const value = (JSON.parse(p.metadata) as Record<string, unknown>)[FRONTIER_METADATA];
        if (typeof value === 'number' && value > frontier) frontier = value;
      } catch {
        // metadata of another committer: not ours
      }
    }
  }
  return { frontier, offsets };
}

function byTopic(offsets: readonly TopicPartitionOffset[], frontier: number): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const metadata = JSON.stringify({ [FRONTIER_METADATA]: frontier });
  const topics = new Map<string, { partition: number; offset: string; metadata: string }[]>();
  for (const o of offsets) {
    let list = topics.get(o.topic);
    if (list === undefined) topics.set(o.topic, (list = []));
    list.push({ partition: o.partition, offset: o.offset.toString(), metadata });
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}
