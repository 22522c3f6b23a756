/**
 * A record reader made of Kafka requests (issue 15's fromKafka on the `wire` and `embedded` transports):
 * Fetch (read_committed) of exactly the assigned partitions, one request per leader for all of its partitions,
 * records decoded on this side (the broker never decodes them). Aborted transactions are skipped as Kafka's
 * consumers do. Where the requests go is the transport's: the wire client's connections (wireRecordIo), or the
 * embedded broker's in-process link (embedded-transport.ts).
 *
 * With `groupId` this reader does not join the group (no JoinGroup/SyncGroup membership and no rebalancing):
 * it reads every partition of the topics, starts each at the group's committed offset (OffsetFetch, where one
 * exists) and commits with OffsetCommit as a standalone consumer (generation -1), as Kafka's `assign()`
 * consumers with a group id do. Run one reader per group; for membership use the kafkajs transport.
 */
import { ErrorCode, KafkaError, errorInfo } from '../protocol/errors.js';
import { Fetch, type FetchResponse } from '../protocol/messages/fetch.js';
import { ListOffsets } from '../protocol/messages/list-offsets.js';
import { Metadata } from '../protocol/messages/metadata.js';
import { OffsetCommit } from '../protocol/messages/offset-commit.js';
import { iterateRecordBatches, recordOffset, recordTimestamp } from '../protocol/record-batch-decode.js';
import type { KafkaClient } from '../client/client.js';
import { fetchCommittedOffset, type KafkaRequester } from '../client/transactions.js';
import { partitionKey, type KafkaRecord, type RecordHandler, type RecordReader, type RecordReaderOptions, type TopicPartition, type TopicPartitionOffset } from './record-reader.js';

/** Where a FetchRecordReader's requests go. */
export interface RecordIo {
  /** Every partition of `topics`; throws for a topic that does not exist. */
  partitions(topics: readonly string[]): Promise<TopicPartition[]>;
  /** The leader of a partition (undefined while it has none); the same object for partitions of one leader. */
  leader(tp: TopicPartition): Promise<KafkaRequester | undefined>;
  /** The group coordinator. */
  coordinator(groupId: string): Promise<KafkaRequester>;
}

/** The wire client's connections. */
export function wireRecordIo(client: KafkaClient): RecordIo {
  return {
    async partitions(topics) {
      const response = await client.metadata(topics);
      return partitionsOf(topics, response.topics.map((t) => ({ name: t.name ?? '', errorCode: t.errorCode, partitions: t.partitions.map((p) => p.partitionIndex) })));
    },
    leader: (tp) => client.leaderFor(tp.topic, tp.partition),
    coordinator: (groupId) => client.coordinator(groupId, 0),
  };
}

/** A single broker reached through one requester (the embedded broker's in-process link). */
export function singleBrokerRecordIo(requester: KafkaRequester): RecordIo {
  return {
    async partitions(topics) {
      const response = await requester.request(Metadata, {
        topics: topics.map((name) => ({ name, topicId: ZERO_UUID })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      return partitionsOf(topics, response.topics.map((t) => ({ name: t.name ?? '', errorCode: t.errorCode, partitions: t.partitions.map((p) => p.partitionIndex) })));
    },
    leader: async () => requester,
    coordinator: async () => requester,
  };
}

function partitionsOf(topics: readonly string[], found: readonly { name: string; errorCode: number; partitions: number[] }[]): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const topic of topics) {
    const t = found.find((x) => x.name === topic);
    if (!t || t.errorCode !== ErrorCode.NONE) throw new KafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `fromKafka: topic "${topic}" (create it first)`);
    for (const partition of t.partitions) out.push({ topic, partition });
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export interface FetchRecordReaderLimits {
  /** Max bytes per fetch response (default 8 MiB, as the wire transport's iterators). */
  fetchMaxBytes?: number;
  /** Max bytes per partition in a fetch (default 1 MiB, Kafka's max.partition.fetch.bytes). */
  partitionMaxBytes?: number;
  /** Long-poll wait of a fetch (default 500 ms, as Kafka's fetch.max.wait.ms). */
  fetchMaxWaitMs?: number;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PartitionState extends TopicPartition {
  position: bigint;
  /** Aborted transactions not reached yet, and producers whose batches are skipped until their ABORT marker. */
  upcoming: { producerId: bigint; firstOffset: bigint }[];
  skipping: Set<bigint>;
}

export class FetchRecordReader implements RecordReader {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly io: RecordIo, private readonly options: RecordReaderOptions, private readonly limits: FetchRecordReaderLimits = {}) {
    if (options.groupId !== undefined && options.partitions !== undefined) throw new RangeError('fromKafka: give either groupId (consumer group) or partitions (explicit assignment), not both');
    if (options.groupId !== undefined && options.startOffsets !== undefined) throw new RangeError('fromKafka: startOffsets is for explicit assignment; a consumer group starts at its committed offsets');
  }

  async start(handler: RecordHandler): Promise<void> {
    const assigned = this.options.partitions ? [...this.options.partitions] : await this.io.partitions(this.options.topics);
    const states: PartitionState[] = [];
    for (const tp of assigned) states.push({ ...tp, position: await this.startOffset(tp), upcoming: [], skipping: new Set() });
    handler.assigned(assigned);
    // One fetch loop per partition leader; on a single broker, one loop for every partition.
    const byLeader = new Map<KafkaRequester, PartitionState[]>();
    for (const s of states) {
      const leader = await this.leader(s);
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(s);
    }
    for (const [leader, list] of byLeader) {
      this.loops.push(
        this.fetchLoop(leader, list, handler).catch((error: Error) => {
          if (!this.stopped) handler.failed(new Error(`fromKafka: reading ${this.options.topics.join(', ')} failed: ${error.message}`, { cause: error }));
        }),
      );
    }
  }

  private async leader(tp: TopicPartition): Promise<KafkaRequester> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const c = await this.io.leader(tp);
      if (c) return c;
      await sleep(50);
    }
    throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `fromKafka: ${tp.topic}-${tp.partition} has no leader`);
  }

  /** startOffsets, else the group's committed offset, else `start`. */
  private async startOffset(tp: TopicPartition): Promise<bigint> {
    const given = this.options.startOffsets?.find((o) => o.topic === tp.topic && o.partition === tp.partition);
    if (given) return given.offset;
    const groupId = this.options.groupId;
    if (groupId !== undefined) {
      const coordinator = await this.io.coordinator(groupId);
      const committed = await fetchCommittedOffset(coordinator, groupId, tp.topic, tp.partition);
      if (committed.offset >= 0n) return committed.offset;
    }
    const start = this.options.start ?? 'earliest';
    if (typeof start === 'object' && 'offset' in start) return start.offset;
    const timestamp = start === 'earliest' ? -2n : start === 'latest' ? -1n : BigInt(start.timestamp);
    return this.listOffset(tp, timestamp);
  }

  /** ListOffsets: -2 earliest, -1 latest, else the first offset at or after the timestamp (the end if none). */
  private async listOffset(tp: TopicPartition, timestamp: bigint): Promise<bigint> {
    const leader = await this.leader(tp);
    const response = await leader.request(ListOffsets, {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: tp.topic, partitions: [{ partitionIndex: tp.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    const p = response.topics[0]?.partitions[0];
    if (!p) throw new Error(`ListOffsets for ${tp.topic}-${tp.partition} returned no partition`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `listing offsets of ${tp.topic}-${tp.partition}`);
    return p.offset >= 0n ? p.offset : this.listOffset(tp, -1n);
  }

  private fetch(connection: KafkaRequester, states: readonly PartitionState[]): Promise<FetchResponse> {
    const partitionMaxBytes = this.limits.partitionMaxBytes ?? 1 << 20;
    const topics = new Map<string, PartitionState[]>();
    for (const s of states) {
      let list = topics.get(s.topic);
      if (!list) topics.set(s.topic, (list = []));
      list.push(s);
    }
    return connection.request(Fetch, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: this.limits.fetchMaxWaitMs ?? 500,
      minBytes: 1,
      maxBytes: this.limits.fetchMaxBytes ?? 8 << 20,
      isolationLevel: 1, // read_committed, as Kafka's consumers default to in transactional pipelines
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, list]) => ({
        topic,
        topicId: ZERO_UUID,
        partitions: list.map((s) => ({ partition: s.partition, currentLeaderEpoch: -1, fetchOffset: s.position, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes, replicaDirectoryId: ZERO_UUID })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    });
  }

  private async fetchLoop(connection: KafkaRequester, states: readonly PartitionState[], handler: RecordHandler): Promise<void> {
    const byKey = new Map(states.map((s) => [partitionKey(s.topic, s.partition), s]));
    while (!this.stopped) {
      const response = await this.fetch(connection, states);
      if (this.stopped) return;
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, 'fetch');
      let retry = false;
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const state = byKey.get(partitionKey(t.topic, p.partitionIndex));
          if (!state) continue;
          if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            // As auto.offset.reset: start over at the configured end.
            state.position = await this.listOffset(state, this.options.start === 'latest' ? -1n : -2n);
            continue;
          }
          if (p.errorCode !== ErrorCode.NONE) {
            if (errorInfo(p.errorCode).retriable) {
              retry = true; // e.g. a leader moving: try again shortly rather than at once
              continue;
            }
            throw new KafkaError(p.errorCode, `fetching ${t.topic}-${p.partitionIndex} at offset ${state.position}`);
          }
          if (p.abortedTransactions) for (const a of p.abortedTransactions) state.upcoming.push({ producerId: a.producerId, firstOffset: a.firstOffset });
          state.upcoming.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
          // Across a MessagePort (the embedded link on a worker) a Buffer arrives as a plain Uint8Array.
          const bytes = p.records && !Buffer.isBuffer(p.records) ? Buffer.from((p.records as Uint8Array).buffer, (p.records as Uint8Array).byteOffset, (p.records as Uint8Array).length) : p.records;
          const records = bytes && bytes.length > 0 ? this.decode(state, bytes) : [];
          if (records.length > 0) await handler.records(records);
        }
      }
      if (retry) await sleep(100);
    }
  }

  /** The records of a fetched partition past its position, skipping aborted transactions and control batches. */
  private decode(state: PartitionState, bytes: Buffer): KafkaRecord[] {
    const out: KafkaRecord[] = [];
    for (const { header, records } of iterateRecordBatches(bytes)) {
      const last = header.baseOffset + BigInt(header.lastOffsetDelta);
      while (state.upcoming.length > 0 && state.upcoming[0]!.firstOffset <= last) state.skipping.add(state.upcoming.shift()!.producerId);
      if (header.control) {
        // A control record's key: version int16, type int16 (0 ABORT, 1 COMMIT).
        const key = records[0]?.key;
        if (key && key.length >= 4 && key.readInt16BE(2) === 0) state.skipping.delete(header.producerId);
      } else if (!(header.transactional && state.skipping.has(header.producerId))) {
        for (const r of records) {
          const offset = recordOffset(header, r);
          if (offset < state.position) continue;
          const headers: Record<string, Buffer | undefined> = {};
          for (const h of r.headers) headers[h.key] = h.value ?? undefined;
          out.push({ topic: state.topic, partition: state.partition, offset, timestamp: Number(recordTimestamp(header, r)), key: r.key, value: r.value, headers });
        }
      }
      if (last >= state.position) state.position = last + 1n;
    }
    return out;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const groupId = this.options.groupId;
    if (groupId === undefined || offsets.length === 0) return;
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }[]>();
    for (const o of offsets) {
      let list = topics.get(o.topic);
      if (!list) topics.set(o.topic, (list = []));
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null });
    }
    const coordinator = await this.io.coordinator(groupId);
    const response = await coordinator.request(OffsetCommit, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of response.topics) {
      for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, `committing offsets of group "${groupId}" for ${t.name}-${p.partitionIndex}`);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    // A fetch parked on the broker returns within fetchMaxWaitMs; the loops end then.
    await Promise.all(this.loops);
  }
}
