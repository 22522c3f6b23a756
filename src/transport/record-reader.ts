/**
 * Reading ordinary topics, written by any producer, record by record (issue 15's `fromKafka`): unlike the
 * event iterators, which read one-partition captured streams, a record reader reads every partition of
 * several topics, in a consumer group or by explicit assignment, and hands out the records undecoded.
 */

/** One record of an ordinary topic. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record timestamp (CreateTime or LogAppendTime, as the topic says), in ms. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | undefined>>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka's committed-offset convention). */
  readonly offset: bigint;
}

/**
 * Where reading starts: `earliest`, `latest`, an offset (every partition), or the first record at or after a
 * timestamp. In a consumer group this applies only to partitions without a committed offset, as Kafka's
 * `auto.offset.reset` does.
 */
export type StartPosition = 'earliest' | 'latest' | { readonly offset: bigint } | { readonly timestamp: number };

export interface RecordReaderOptions {
  readonly topics: readonly string[];
  /** Consume in this consumer group (committed offsets, rebalancing). Without it: explicit assignment. */
  readonly groupId?: string;
  /** Explicit assignment: these partitions only (default: every partition of `topics`). Not with `groupId`. */
  readonly partitions?: readonly TopicPartition[];
  /** Default `earliest`. */
  readonly start?: StartPosition;
  /**
   * Per-partition starts that override `start` for the partitions listed (explicit assignment only): a
   * resumed source continues at the offsets it committed, the other partitions start at `start`.
   */
  readonly startOffsets?: readonly TopicPartitionOffset[];
  /**
   * In a group: session.timeout.ms, after which the coordinator drops a dead member (a killed run) and a
   * restarted one can take its partitions; also the rebalance timeout. Default: the client's (kafkajs 30,000).
   */
  readonly sessionTimeoutMs?: number;
}

export interface RecordHandler {
  /** The partitions this reader now reads (after a rebalance: the new set). */
  assigned(partitions: readonly TopicPartition[]): void;
  /** Records of one partition in offset order; the reader fetches on only once this resolves (backpressure). */
  records(batch: readonly KafkaRecord[]): Promise<void> | void;
  /** The reader failed and stopped. */
  failed(error: Error): void;
}

export interface RecordReader {
  /** Starts reading into `handler`; resolves once reading started. */
  start(handler: RecordHandler): Promise<void>;
  /** Commits offsets for the group (no-op under explicit assignment). */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  close(): Promise<void>;
}

/** A transport that can read ordinary topics. */
export interface RecordReaderSource {
  recordReader(options: RecordReaderOptions): RecordReader;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
