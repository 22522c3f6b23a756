/**
 * `fromKafka`: records of ordinary topics, written by any producer, as a progress-carrying stream at their
 * event times (issue 15). Per-partition watermarks with bounded out-of-orderness and idleness make the
 * frontier (partition-frontier.ts); late records go to a LateOutput; in a consumer group, offsets are
 * committed once the frontier has passed the times of every record before them.
 */
import { Observable } from 'rxjs';
import { messages, progress, type Event, type Stream } from '../dataflow/event.js';
import { lateOutput, type LateArrival, type LateOutput } from '../dataflow/operators/late-output.js';
import { partitionKey, type KafkaRecord, type RecordReader, type StartPosition, type TopicPartition, type TopicPartitionOffset } from '../transport/record-reader.js';
import { PartitionFrontier } from './partition-frontier.js';
import { PendingOffsets } from './pending-offsets.js';
import { openRecordReader, type RecordTransport } from './record-readers.js';

export interface FromKafkaOptions {
  /** How to reach the cluster: a KafkaJsTransport (any cluster), or anything with `recordReader()`. */
  transport: RecordTransport;
  /** Event time of a record (a non-negative number, ms). Default: the record timestamp. */
  time?: (record: KafkaRecord) => number;
  /** How far behind a partition's largest time a record of that partition may still arrive (default 0). */
  maxOutOfOrderness?: number;
  /** A partition without records for this long stops holding the frontier (default: never). */
  idleTimeoutMs?: number;
  /** Consume in this consumer group; without it, read `partitions` (default: all) by explicit assignment. */
  groupId?: string;
  /** Explicit assignment (not with groupId). */
  partitions?: readonly TopicPartition[];
  /** Where to start (in a group: where nothing is committed). Default `earliest`. */
  start?: StartPosition;
  /** Explicit assignment: per-partition offsets that override `start` for the partitions listed. */
  startOffsets?: readonly TopicPartitionOffset[];
  /**
   * The frontier the stream starts at instead of 0: its first progress event retires this time, and records
   * before it are late. For a resumed capture (resumableFromKafka), whose committed prefix holds this time.
   */
  startFrontier?: number;
  /**
   * Called around the events of each fetched batch (synchronously), and the end's promise delays the next
   * fetch (backpressure). For resumableFromKafka, whose restart points are batch boundaries. @internal
   */
  batches?: { start(): void; end(batch: readonly KafkaRecord[]): Promise<void> | void };
  /**
   * In a group, commit offsets as the frontier passes the records' times (default true). Set false when a
   * sink commits them itself (`toKafka` with `exactlyOnce`).
   */
  commitOffsets?: boolean;
  /** Late records go here (default: a new one, returned as `late`). */
  late?: LateOutput<number, KafkaRecord>;
  /**
   * End the stream (frontier emptied) once no partition has had records for this long, counted from the
   * first assignment (a group may take a while to join): for batch-like runs (the wordcount example's
   * `--until-idle`). Default: never.
   */
  stopWhenIdleMs?: number;
  /** In a group: session.timeout.ms (and rebalance timeout), how soon a killed run's partitions move on (default: kafkajs's 30,000). */
  sessionTimeoutMs?: number;
  /** The clock for idleness (default Date.now). */
  now?: () => number;
}

export interface KafkaSource {
  /** The records at their event times, with the partitions' meet as frontier. Each subscription reads anew. */
  readonly stream: Stream<number, KafkaRecord>;
  readonly late: LateOutput<number, KafkaRecord>;
  readonly late$: Observable<LateArrival<number, KafkaRecord>>;
  readonly lateCount: number;
  /** The consumer group, if any. */
  readonly groupId: string | undefined;
  readonly topics: readonly string[];
  /**
   * Per partition, the offset before which every record's time is before `at` (default: the frontier): what a
   * commit may store once results at times before `at` are written. `at` must not decrease between calls.
   */
  completedOffsets(at?: number): TopicPartitionOffset[];
  /**
   * A sink (toKafka) commits the group's offsets from now on, after its writes: the source stops committing
   * them itself. Called by the sink when it is subscribed.
   * @internal
   */
  handOverCommits(): void;
  /** The sink made its last commit: the reader may close. @internal */
  releaseCommits(): void;
  /** Commits offsets for the group through the current subscription's consumer (at-least-once sinks). @internal */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
}

/**
 * @example
 * ```ts
 * const transport = new KafkaJsTransport({ brokers: ['localhost:9092'] });
 * const clicks = fromKafka('clicks', { transport, groupId: 'click-counts', maxOutOfOrderness: 5_000, idleTimeoutMs: 30_000 });
 * clicks.late$.subscribe((l) => console.warn('late click', l.value.offset));
 * clicks.stream.pipe(tumblingWindow(60_000), countPerTime()).subscribe(report);
 * ```
 */
export function fromKafka(topics: string | readonly string[], options: FromKafkaOptions): KafkaSource {
  const topicList = typeof topics === 'string' ? [topics] : [...topics];
  if (topicList.length === 0) throw new RangeError('fromKafka: no topics given');
  const maxOutOfOrderness = options.maxOutOfOrderness ?? 0;
  const startFrontier = options.startFrontier ?? 0;
  // Checked here, so a bad option fails at the call, not at subscription.
  void new PartitionFrontier(maxOutOfOrderness, options.idleTimeoutMs, startFrontier);
  if (options.stopWhenIdleMs !== undefined && !(options.stopWhenIdleMs > 0)) throw new RangeError(`stopWhenIdleMs must be > 0, got ${options.stopWhenIdleMs}`);
  const timeOf = options.time ?? ((r: KafkaRecord) => r.timestamp);
  const now = options.now ?? Date.now;
  const late = options.late ?? lateOutput<number, KafkaRecord>();
  let commitOffsets = options.groupId !== undefined && options.commitOffsets !== false;
  let pending = new Map<string, { tp: TopicPartition; offsets: PendingOffsets }>();
  let frontierNow = 0;
  let lastCompletedAt = 0;
  let currentReader: RecordReader | undefined;
  /** While a sink commits the offsets, the reader (whose consumer commits them) stays open until it lets go. */
  let sinkHold: { released: Promise<void>; release: () => void } | undefined;
  const closeReader = (reader: RecordReader): Promise<void> => (sinkHold ? sinkHold.released : Promise.resolve()).then(() => reader.close());

  const completedOffsets = (at = frontierNow): TopicPartitionOffset[] => {
    if (at < lastCompletedAt) throw new RangeError(`completedOffsets(${at}): asked for ${lastCompletedAt} before; the time must not decrease`);
    lastCompletedAt = at;
    const out: TopicPartitionOffset[] = [];
    for (const { tp, offsets } of pending.values()) if (offsets.next >= 0n) out.push({ ...tp, offset: offsets.completeAt(at) });
    return out;
  };

  const stream = new Observable<Event<number, KafkaRecord>>((out) => {
    const frontier = new PartitionFrontier(maxOutOfOrderness, options.idleTimeoutMs, startFrontier);
    pending = new Map();
    frontierNow = startFrontier;
    lastCompletedAt = 0;
    const reader = openRecordReader(options.transport, {
      topics: topicList,
      groupId: options.groupId,
      partitions: options.partitions,
      start: options.start,
      ...(options.startOffsets ? { startOffsets: options.startOffsets } : {}),
      sessionTimeoutMs: options.sessionTimeoutMs,
    });
    currentReader = reader;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastRecordAt = now();
    /** A batch's `batches.end` promise is pending: the reader waits on its consumer, which is not idleness. */
    let heldBySink = false;
    let assignedOnce = false;
    let closed = false;
    let committing: Promise<void> | undefined;
    let commitAgain = false;

    const commit = (): void => {
      if (!commitOffsets) return;
      if (committing) {
        commitAgain = true;
        return;
      }
      committing = reader
        .commit(completedOffsets())
        .catch((error: Error) => {
          if (!closed) out.error(new Error(`fromKafka: committing offsets of group "${options.groupId}" failed: ${error.message}`, { cause: error }));
        })
        .finally(() => {
          committing = undefined;
          if (commitAgain && !closed) {
            commitAgain = false;
            commit();
          }
        });
    };
    // advance and arm take the same `t`: a partition whose idleness deadline fell between two clock reads
    // would otherwise be neither idle for advance nor in the future for arm, and no timer would release it.
    const advance = (t: number): void => {
      const before = frontier.frontier;
      const after = frontier.advance(t);
      if (after > before) {
        frontierNow = after;
        out.next(progress([[before, -1], [after, 1]]));
        commit();
      }
    };
    const finish = (): void => {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      out.next(progress([[frontier.frontier, -1]]));
      void (committing ?? Promise.resolve()).then(() => out.complete());
    };
    const arm = (t: number): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (closed) return;
      let at = frontier.nextIdleAt(t);
      if (options.stopWhenIdleMs !== undefined && assignedOnce) at = Math.min(at ?? Infinity, lastRecordAt + options.stopWhenIdleMs);
      if (at === undefined || at === Infinity) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (closed) return;
        const fired = now();
        advance(fired);
        if (options.stopWhenIdleMs !== undefined && assignedOnce && !heldBySink && fired - lastRecordAt >= options.stopWhenIdleMs) return finish();
        arm(fired);
      }, Math.max(0, at - t) + 1);
    };

    reader
      .start({
        assigned(partitions) {
          const t = now();
          if (!assignedOnce) lastRecordAt = t;
          assignedOnce = true;
          frontier.assign(partitions.map((p) => partitionKey(p.topic, p.partition)), t);
          advance(t);
          arm(t);
        },
        records(batch) {
          if (closed) return;
          options.batches?.start();
          const t = now();
          lastRecordAt = t;
          const byTime = new Map<number, KafkaRecord[]>();
          for (const record of batch) {
            const key = partitionKey(record.topic, record.partition);
            const time = timeOf(record);
            let p = pending.get(key);
            if (p === undefined) pending.set(key, (p = { tp: { topic: record.topic, partition: record.partition }, offsets: new PendingOffsets() }));
            if (frontier.observe(key, time, t)) {
              late.divert('fromKafka', time, [record], [frontier.frontier]);
              p.offsets.add(record.offset, -Infinity); // handled: complete for the commit
              continue;
            }
            p.offsets.add(record.offset, time);
            let bucket = byTime.get(time);
            if (bucket === undefined) byTime.set(time, (bucket = []));
            bucket.push(record);
          }
          for (const time of [...byTime.keys()].sort((a, b) => a - b)) out.next(messages(time, byTime.get(time) as KafkaRecord[]));
          // Idle (for stopWhenIdleMs) counts from when the reader is free again, not from when the batch came:
          // a batch whose processing downstream, or whose backpressure, took longer than stopWhenIdleMs is not idleness.
          const after = now();
          lastRecordAt = after;
          advance(after);
          arm(after);
          const ended = options.batches?.end(batch);
          if (ended === undefined) return;
          heldBySink = true;
          return Promise.resolve(ended).finally(() => {
            heldBySink = false;
            lastRecordAt = now();
            arm(lastRecordAt);
          });
        },
        failed(error) {
          if (!closed) out.error(error);
        },
      })
      .catch((error: Error) => {
        if (!closed) out.error(error);
      });
    arm(now());

    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      void (committing ?? Promise.resolve()).then(() => closeReader(reader));
    };
  });

  return {
    stream,
    late,
    late$: late.late$,
    get lateCount() {
      return late.count;
    },
    groupId: options.groupId,
    topics: topicList,
    completedOffsets,
    handOverCommits() {
      commitOffsets = false;
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      sinkHold = { released, release };
    },
    releaseCommits() {
      sinkHold?.release();
    },
    commit(offsets) {
      if (!currentReader) return Promise.reject(new Error('fromKafka: commit() before the stream was subscribed'));
      return currentReader.commit(offsets);
    },
  };
}
